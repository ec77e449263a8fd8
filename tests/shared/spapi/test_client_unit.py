"""SpApiClient request shape, retry safety and error classification, on a scripted MockTransport."""

from __future__ import annotations

import asyncio
import gzip
import re
from datetime import UTC, datetime

import httpx
import pytest

from shared.errors import PermanentError, RetryableError, ValidationError
from shared.spapi import (
    AuthorizationError,
    InvalidRequestError,
    MessageNotAllowedError,
    NotFoundError,
    OutcomeUnknownError,
    ReportDocument,
    ServiceUnavailableError,
    SolicitationNotAvailableError,
    SpApiConnectionError,
    SpApiError,
    ThrottledError,
)
from tests.shared.spapi.mock_amazon import FAST_RETRY, MockAmazon, body, error, form

ORDER = "111-0000000-0000001"
US, DE, JP = "ATVPDKIKX0DER", "A1PA6795UKMFR9", "A1VC38T7YXB528"
SEND = f"/messaging/v1/orders/{ORDER}/messages/unexpectedProblem"
ACTIONS = f"/messaging/v1/orders/{ORDER}"
MAX = FAST_RETRY.max_attempts


async def test_a_send_carries_token_date_agent_marketplace_and_json_body() -> None:
    amazon = MockAmazon()
    amazon.queue(SEND, httpx.Response(201, json={}))
    async with amazon.client() as client:
        await client.send_message("S1", ORDER, US, "unexpectedProblem", {"text": "We are sorry"})
    [lwa] = amazon.lwa_requests
    assert form(lwa) == {
        "grant_type": "refresh_token",
        "refresh_token": "Atzr|one",
        "client_id": "amzn1.application-oa2-client.test",
        "client_secret": "client-secret",
    }
    assert lwa.headers["content-type"].startswith("application/x-www-form-urlencoded")
    [sent] = amazon.calls(SEND)
    assert sent.method == "POST"
    assert sent.url.host == "sellingpartnerapi-na.amazon.com"
    assert sent.url.params.get_list("marketplaceIds") == [US]
    assert sent.headers["x-amz-access-token"] == "Atza|1"
    assert re.fullmatch(r"\d{8}T\d{6}Z", sent.headers["x-amz-date"])
    assert sent.headers["user-agent"].startswith("complaints/")
    assert "Language=Python/" in sent.headers["user-agent"]
    assert sent.headers["content-type"] == "application/json"
    assert body(sent) == {"text": "We are sorry"}


@pytest.mark.parametrize(
    ("endpoint", "marketplace", "host"),
    [
        ("https://sellingpartnerapi-na.amazon.com", DE, "sellingpartnerapi-eu.amazon.com"),
        ("https://sellingpartnerapi-na.amazon.com", JP, "sellingpartnerapi-fe.amazon.com"),
        ("https://sandbox.sellingpartnerapi-na.amazon.com", DE, "sandbox.sellingpartnerapi-eu.amazon.com"),
        ("http://127.0.0.1:9999", JP, "127.0.0.1"),
    ],
)
async def test_calls_go_to_the_marketplaces_region_unless_a_custom_host_is_set(
    endpoint: str, marketplace: str, host: str
) -> None:
    amazon = MockAmazon()
    amazon.queue(ACTIONS, httpx.Response(200, json={"_links": {"self": {"href": "x"}, "actions": []}}))
    async with amazon.client(endpoint) as client:
        assert await client.get_messaging_actions("S1", ORDER, marketplace) == []
    assert amazon.requests[0].url.host == host


async def test_action_names_come_from_the_hal_links() -> None:
    amazon = MockAmazon()
    links = [
        {"href": f"{ACTIONS}/messages/unexpectedProblem?marketplaceIds={US}", "name": "unexpectedProblem"},
        {"href": f"{ACTIONS}/messages/legalDisclosure?marketplaceIds={US}"},
    ]
    amazon.queue(ACTIONS, httpx.Response(200, json={"_links": {"self": {"href": ACTIONS}, "actions": links}}))
    async with amazon.client() as client:
        assert await client.get_messaging_actions("S1", ORDER, US) == ["unexpectedProblem", "legalDisclosure"]


async def test_buyer_locale_falls_back_to_the_marketplaces() -> None:
    amazon = MockAmazon()
    path = f"{ACTIONS}/attributes"
    amazon.queue(path, httpx.Response(200, json={"buyer": {"locale": "es-US"}}), httpx.Response(200, json={}))
    async with amazon.client() as client:
        assert await client.get_attributes("S1", ORDER, US) == "es-US"
        assert await client.get_attributes("S1", ORDER, DE) == "de-DE"


@pytest.mark.parametrize(
    ("answer", "expected", "amazon_code"),
    [
        (error(400, "InvalidInput", "Invalid Input"), InvalidRequestError, "InvalidInput"),
        (error(415, "UnsupportedMediaType", "nope"), InvalidRequestError, "UnsupportedMediaType"),
        (
            error(403, "Unauthorized", "Invalid amazonOrderId and template combination."),
            MessageNotAllowedError,
            "Unauthorized",
        ),
        (error(404, "NotFound", "The resource specified does not exist."), NotFoundError, "NotFound"),
        (
            error(500, "InternalFailure", "We encountered an internal error."),
            OutcomeUnknownError,
            "InternalFailure",
        ),
        (error(502, "BadGateway", "Bad gateway"), OutcomeUnknownError, "BadGateway"),
    ],
)
async def test_a_send_is_tried_once_and_its_failure_classified(
    answer: httpx.Response, expected: type[SpApiError], amazon_code: str
) -> None:
    amazon = MockAmazon()
    answer.headers["x-amzn-RequestId"] = "req-1"
    amazon.queue(SEND, answer, httpx.Response(201, json={}))
    async with amazon.client() as client:
        with pytest.raises(expected) as caught:
            await client.send_message("S1", ORDER, US, "unexpectedProblem", {"text": "hi"})
    assert len(amazon.calls(SEND)) == 1
    assert isinstance(caught.value, PermanentError)
    assert (caught.value.status, caught.value.amazon_code) == (answer.status_code, amazon_code)
    assert caught.value.request_id == "req-1"


async def test_invalid_request_is_a_validation_error_and_keeps_amazons_message() -> None:
    amazon = MockAmazon()
    amazon.queue(SEND, error(403, "Unauthorized", "Invalid amazonOrderId and template combination."))
    async with amazon.client() as client:
        with pytest.raises(MessageNotAllowedError) as caught:
            await client.send_message("S1", ORDER, US, "unexpectedProblem", {"text": "hi"})
        assert caught.value.amazon_message == "Invalid amazonOrderId and template combination."
        amazon.queue(SEND, error(400, "InvalidInput", "Invalid Input", "text: too long"))
        with pytest.raises(ValidationError) as invalid:
            await client.send_message("S1", ORDER, US, "unexpectedProblem", {"text": "hi"})
        assert isinstance(invalid.value, InvalidRequestError)
        assert invalid.value.amazon_details == "text: too long"


@pytest.mark.parametrize(("status", "expected"), [(429, ThrottledError), (503, ServiceUnavailableError)])
async def test_a_send_refused_before_processing_is_retried_then_retryable(
    status: int, expected: type[SpApiError]
) -> None:
    amazon = MockAmazon()
    amazon.queue(SEND, *[error(status, "x", "y")] * (MAX - 1), httpx.Response(201, json={}))
    async with amazon.client() as client:
        await client.send_message("S1", ORDER, US, "unexpectedProblem", {"text": "hi"})
        assert len(amazon.calls(SEND)) == MAX
        amazon.queue(SEND, *[error(status, "x", "y")] * MAX)
        with pytest.raises(expected) as caught:
            await client.send_message("S1", ORDER, US, "unexpectedProblem", {"text": "hi"})
    assert isinstance(caught.value, RetryableError)
    assert len(amazon.calls(SEND)) == 2 * MAX


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("Server disconnected"), httpx.WriteError("reset")],
)
async def test_a_send_without_an_answer_is_outcome_unknown_and_never_repeated(failure: Exception) -> None:
    amazon = MockAmazon()
    amazon.queue(SEND, failure, httpx.Response(201, json={}))
    async with amazon.client() as client:
        with pytest.raises(OutcomeUnknownError) as caught:
            await client.send_message("S1", ORDER, US, "unexpectedProblem", {"text": "hi"})
    assert not isinstance(caught.value, RetryableError)
    assert len(amazon.calls(SEND)) == 1


@pytest.mark.parametrize("failure", [httpx.ConnectError("refused"), httpx.ConnectTimeout("no route")])
async def test_a_send_that_never_left_is_retried(failure: Exception) -> None:
    amazon = MockAmazon()
    amazon.queue(SEND, failure, httpx.Response(201, json={}))
    async with amazon.client() as client:
        await client.send_message("S1", ORDER, US, "unexpectedProblem", {"text": "hi"})
    assert len(amazon.calls(SEND)) == 2


async def test_reads_are_retried_on_5xx_and_timeouts_then_give_a_retryable_error() -> None:
    amazon = MockAmazon()
    ok = httpx.Response(200, json={"_links": {"self": {"href": ACTIONS}, "actions": []}})
    amazon.queue(
        ACTIONS, error(500, "InternalFailure", "x"), httpx.ReadTimeout("slow"), error(502, "x", "y"), ok
    )
    async with amazon.client() as client:
        assert await client.get_messaging_actions("S1", ORDER, US) == []
        assert len(amazon.calls(ACTIONS)) == 4
        amazon.queue(ACTIONS, *[httpx.ReadTimeout("slow")] * MAX)
        with pytest.raises(SpApiConnectionError):
            await client.get_messaging_actions("S1", ORDER, US)


async def test_a_rejected_token_is_refreshed_once_then_reported() -> None:
    amazon = MockAmazon()
    expired = error(
        403,
        "Unauthorized",
        "Access to requested resource is denied.",
        "The access token you provided has expired.",
    )
    amazon.queue(SEND, expired, httpx.Response(201, json={}))
    async with amazon.client() as client:
        await client.send_message("S1", ORDER, US, "unexpectedProblem", {"text": "hi"})
        assert [r.headers["x-amz-access-token"] for r in amazon.calls(SEND)] == ["Atza|1", "Atza|2"]
        amazon.queue(SEND, expired, expired, httpx.Response(201, json={}))
        with pytest.raises(AuthorizationError):
            await client.send_message("S1", ORDER, US, "unexpectedProblem", {"text": "hi"})
    assert len(amazon.calls(SEND)) == 4


async def test_second_solicitation_refusal_is_its_own_error() -> None:
    amazon = MockAmazon()
    path = f"/solicitations/v1/orders/{ORDER}/solicitations/productReviewAndSellerFeedback"
    amazon.queue(
        path,
        error(403, "Unauthorized", "The requested solicitation is not available for this amazonOrderId."),
    )
    async with amazon.client() as client:
        with pytest.raises(SolicitationNotAvailableError):
            await client.create_solicitation("S1", ORDER, US)
    [sent] = amazon.calls(path)
    assert sent.content == b""


async def test_unknown_action_and_unknown_seller_fail_before_any_request() -> None:
    amazon = MockAmazon()
    async with amazon.client() as client:
        with pytest.raises(InvalidRequestError):
            await client.send_message("S1", ORDER, US, "negativeFeedbackRemoval", {})
        with pytest.raises(AuthorizationError):
            await client.get_messaging_actions("nobody", ORDER, US)
    assert amazon.requests == []
    assert amazon.lwa_requests == []


async def test_invoice_action_aliases_reach_the_invoice_path() -> None:
    amazon = MockAmazon()
    attachment = {"attachments": [{"uploadDestinationId": "u1", "fileName": "invoice.pdf"}]}
    async with amazon.client() as client:
        await client.send_message("S1", ORDER, US, "invoice", attachment)
        await client.send_message("S1", ORDER, US, "sendInvoice", attachment)
    assert len(amazon.calls(f"{ACTIONS}/messages/invoice")) == 2


async def test_create_report_sends_the_specification_and_is_retried_on_500() -> None:
    amazon = MockAmazon()
    path = "/reports/2021-06-30/reports"
    amazon.queue(path, error(500, "InternalFailure", "x"), httpx.Response(202, json={"reportId": "501"}))
    async with amazon.client() as client:
        report_id = await client.create_report(
            "S1",
            "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE",
            [DE],
            data_start_time=datetime(2026, 1, 1, tzinfo=UTC),
        )
    assert report_id == "501"
    _, second = amazon.calls(path)
    assert body(second) == {
        "reportType": "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE",
        "marketplaceIds": [DE],
        "dataStartTime": "2026-01-01T00:00:00+00:00",
    }
    assert second.url.host == "sellingpartnerapi-eu.amazon.com"


@pytest.mark.parametrize(
    ("algorithm", "stored", "headers"),
    [
        ("GZIP", gzip.compress(b"a\tb\n"), {}),
        (None, b"a\tb\n", {}),
        # A store that also sets Content-Encoding lets httpx decompress first; do not do it twice.
        ("GZIP", gzip.compress(b"a\tb\n"), {"content-encoding": "gzip"}),
    ],
)
async def test_document_download_is_gzip_aware(
    algorithm: str | None, stored: bytes, headers: dict[str, str]
) -> None:
    amazon = MockAmazon()
    amazon.queue("/doc", httpx.Response(503), httpx.Response(200, content=stored, headers=headers))
    doc = ReportDocument(report_document_id="d1", url="https://s3.test/doc", compression_algorithm=algorithm)
    async with amazon.client() as client:
        assert await client.download_report_document(doc) == b"a\tb\n"
    assert all("x-amz-access-token" not in r.headers for r in amazon.calls("/doc"))


async def test_concurrent_first_calls_share_one_token_exchange() -> None:
    amazon = MockAmazon(lwa_delay_s=0.05)
    async with amazon.client() as client:
        tokens = await asyncio.gather(*(client.lwa.access_token("S1") for _ in range(50)))
    assert set(tokens) == {"Atza|1"}
    assert len(amazon.lwa_requests) == 1
