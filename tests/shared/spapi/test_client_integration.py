"""SpApiClient against the real stand-in on loopback: tokens, pacing, retries and exactly-once sends."""

from __future__ import annotations

import asyncio

import pytest

from shared.spapi import (
    MessageNotAllowedError,
    OutcomeUnknownError,
    RateLimit,
    RetryPolicy,
    SolicitationNotAvailableError,
    SpApiClient,
)
from shared.stack.spapi_standin import StandinHandle, StandinState, start_standin
from shared.stack.spapi_standin.state import FaultKind
from tests.shared.spapi.conftest import ORDER, US, FakeClock, settings_for

OP = "createUnexpectedProblem"
QUICK_RETRY = RetryPolicy(max_attempts=5, base_delay_s=0.01, max_delay_s=0.05)


def _seed(state: StandinState, sellers: int = 1) -> dict[str, str]:
    tokens = {}
    for n in range(1, sellers + 1):
        seller = f"S{n}"
        tokens[seller] = f"Atzr|{seller}"
        state.add_seller(seller, tokens[seller])
        state.add_order(f"111-{n:07d}-0000001", seller)
    return tokens


def _statuses(state: StandinState, operation: str) -> list[int]:
    return [r.status for r in state.requests if r.operation == operation]


async def test_tokens_are_refreshed_before_expiry_so_no_call_is_refused() -> None:
    clock = FakeClock()
    state = StandinState(clock=clock)
    handle = await start_standin(state=state)
    try:
        settings = settings_for(handle, _seed(state))
        fast = {"GetAttributes": RateLimit(100.0, 10)}
        async with SpApiClient(settings, clock=clock, retry=QUICK_RETRY, rate_limits=fast) as client:
            order = "111-0000001-0000001"
            assert await client.get_attributes("S1", order, US) == "en-US"
            clock.advance(3000)
            await client.get_attributes("S1", order, US)
            assert len(state.lwa_exchanges) == 1
            clock.advance(545)  # 15 s before expiry, inside the 60 s refresh margin
            await client.get_attributes("S1", order, US)
            assert len(state.lwa_exchanges) == 2
            assert _statuses(state, "GetAttributes") == [200, 200, 200]
            # Amazon revoking the token is answered with one refresh and one repeat.
            state.revoke_tokens("S1")
            await client.get_attributes("S1", order, US)
            assert _statuses(state, "GetAttributes") == [200, 200, 200, 403, 200]
            assert len(state.lwa_exchanges) == 3
    finally:
        await handle.stop()


async def test_a_hundred_sellers_sending_at_once_cause_no_429(standin: StandinHandle) -> None:
    # Default usage plans (1 rps, burst 5): six sends per seller exceed the burst, so only pacing avoids 429s.
    tokens = _seed(standin.state, sellers=100)
    async with SpApiClient(settings_for(standin, tokens, timeout_s=20.0)) as client:

        async def seller_run(n: int) -> None:
            seller, order = f"S{n}", f"111-{n:07d}-0000001"
            assert "unexpectedProblem" in await client.get_messaging_actions(seller, order, US)
            for i in range(6):
                await client.send_message(seller, order, US, "unexpectedProblem", {"text": f"update {i}"})

        await asyncio.gather(*(seller_run(n) for n in range(1, 101)))
    statuses = [r.status for r in standin.state.requests]
    assert 429 not in statuses
    assert len(standin.state.messages) == 600
    assert len(standin.state.lwa_exchanges) == 100
    per_order = {m.order_id for m in standin.state.messages}
    assert len(per_order) == 100


async def test_a_429_storm_is_retried_until_the_message_is_sent_once(standin: StandinHandle) -> None:
    standin.state.set_rate_limit(OP, 50.0, 5)
    settings = settings_for(standin, _seed(standin.state))
    standin.state.inject("status", status=429, count=3, operation=OP)
    async with SpApiClient(settings, retry=QUICK_RETRY, rate_limits={OP: RateLimit(50.0, 5)}) as client:
        await client.send_message("S1", "111-0000001-0000001", US, "unexpectedProblem", {"text": "hello"})
    assert _statuses(standin.state, OP) == [429, 429, 429, 201]
    assert len(standin.state.messages) == 1


async def test_a_503_before_processing_is_retried_and_sent_once(standin: StandinHandle) -> None:
    settings = settings_for(standin, _seed(standin.state))
    standin.state.inject("status", status=503, count=2, operation=OP)
    async with SpApiClient(settings, retry=QUICK_RETRY) as client:
        await client.send_message("S1", "111-0000001-0000001", US, "unexpectedProblem", {"text": "hello"})
    assert _statuses(standin.state, OP) == [503, 503, 201]
    assert len(standin.state.messages) == 1


@pytest.mark.parametrize(
    ("kind", "status", "delay_s"), [("drop", 500, 0.0), ("status", 500, 0.0), ("delay", 500, 0.6)]
)
async def test_a_send_whose_answer_is_lost_is_outcome_unknown_and_happened_once(
    standin: StandinHandle, kind: FaultKind, status: int, delay_s: float
) -> None:
    settings = settings_for(standin, _seed(standin.state), timeout_s=0.3)
    standin.state.inject(kind, status=status, delay_s=delay_s, operation=OP)
    async with SpApiClient(settings, retry=QUICK_RETRY) as client:
        with pytest.raises(OutcomeUnknownError):
            await client.send_message("S1", "111-0000001-0000001", US, "unexpectedProblem", {"text": "hello"})
    # Amazon did act; a repeat would have delivered (and recorded) a second message.
    assert len(standin.state.messages_for("111-0000001-0000001")) == 1


async def test_an_action_the_order_does_not_allow_is_not_sent(standin: StandinHandle) -> None:
    standin.state.add_seller("S1", "Atzr|S1")
    standin.state.add_order(ORDER, "S1", actions=["legalDisclosure"])
    async with SpApiClient(settings_for(standin, {"S1": "Atzr|S1"})) as client:
        assert await client.get_messaging_actions("S1", ORDER, US) == ["legalDisclosure"]
        with pytest.raises(MessageNotAllowedError) as caught:
            await client.send_message("S1", ORDER, US, "unexpectedProblem", {"text": "hello"})
    assert caught.value.amazon_message == "Invalid amazonOrderId and template combination."
    assert standin.state.messages == []


async def test_a_solicitation_goes_out_once_per_order(standin: StandinHandle) -> None:
    settings = settings_for(standin, _seed(standin.state))
    order = "111-0000001-0000001"
    async with SpApiClient(settings) as client:
        assert await client.get_solicitation_actions("S1", order, US) == ["productReviewAndSellerFeedback"]
        await client.create_solicitation("S1", order, US)
        with pytest.raises(SolicitationNotAvailableError):
            await client.create_solicitation("S1", order, US)
        assert await client.get_solicitation_actions("S1", order, US) == []
    assert len(standin.state.solicitations) == 1


async def test_a_report_is_polled_to_done_and_its_gzip_document_downloaded(standin: StandinHandle) -> None:
    settings = settings_for(standin, _seed(standin.state))
    content = b"Order ID\tReturn Reason\n111-0000001-0000001\tCR-DEFECTIVE\n"
    report_type = "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE"
    standin.state.set_report("S1", report_type, content, gzip=True, polls_until_done=2)
    async with SpApiClient(settings) as client:
        report_id = await client.create_report("S1", report_type, [US])
        statuses = []
        report = await client.get_report("S1", report_id)
        statuses.append(report.processing_status)
        while not report.finished:
            report = await client.get_report("S1", report_id)
            statuses.append(report.processing_status)
        assert statuses == ["IN_QUEUE", "IN_PROGRESS", "DONE"]
        assert report.report_document_id is not None
        document = await client.get_report_document("S1", report.report_document_id)
        assert document.compression_algorithm == "GZIP"
        assert await client.download_report_document(document) == content


async def test_the_client_follows_the_rate_amazon_reports(standin: StandinHandle) -> None:
    standin.state.set_rate_limit("GetAttributes", 20.0, 5)
    settings = settings_for(standin, _seed(standin.state))
    async with SpApiClient(settings) as client:
        assert client.limiter.bucket("S1", "GetAttributes").rate == 1.0
        await client.get_attributes("S1", "111-0000001-0000001", US)
        assert client.limiter.bucket("S1", "GetAttributes").rate == 20.0
