"""``SpApiClient``: the Messaging, Solicitations and Reports operations the project uses."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx

from shared.settings import SpApiSettings
from shared.spapi.calls import Call, CallExecutor, RetryPolicy
from shared.spapi.documents import decode_document, fetch_document
from shared.spapi.endpoints import MESSAGE_ACTIONS, default_locale
from shared.spapi.errors import InvalidRequestError, SpApiPermanentError
from shared.spapi.lwa import LwaClient
from shared.spapi.models import Report, ReportDocument, action_names, parse_model
from shared.spapi.ratelimit import RateLimit, RateLimiter

__all__ = ["SpApiClient"]

_REPORTS = "/reports/2021-06-30"


def _order_path(api: str, order_id: str) -> str:
    return f"/{api}/v1/orders/{quote(order_id, safe='')}"


class SpApiClient:
    """Async SP-API client for many sellers: one LWA token cache, one pacer, one connection pool.

    Use as ``async with SpApiClient(settings) as client``. Failures raise ``shared.spapi.errors`` classes;
    a send whose outcome cannot be known raises ``OutcomeUnknownError`` and is never repeated.
    """

    def __init__(
        self,
        settings: SpApiSettings,
        *,
        http: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        rate_limits: Mapping[str, RateLimit] | None = None,
        refresh_ahead_s: float = 60.0,
        max_connections: int = 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._owns_http = http is None
        # Keep-alive below the usual 5 s server idle timeout, so a pooled connection is not reused just as
        # the server closes it (that race would look like a dropped send). A modest pool: httpcore's pool
        # bookkeeping grows with connections x waiting requests, and paced calls need few connections.
        self._http = http or httpx.AsyncClient(
            timeout=httpx.Timeout(settings.timeout_s),
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_connections,
                keepalive_expiry=4.0,
            ),
        )
        self.lwa = LwaClient(settings, self._http, refresh_ahead_s=refresh_ahead_s, clock=clock)
        self.limiter = RateLimiter(rate_limits)
        self._retry = retry or RetryPolicy()
        self._calls = CallExecutor(settings, self._http, self.lwa, self.limiter, self._retry)
        self._document_caps = (settings.report_max_bytes, settings.report_max_decompressed_bytes)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool if this client created it."""
        if self._owns_http:
            await self._http.aclose()

    # -- Messaging v1 -------------------------------------------------------------------------------------

    async def get_messaging_actions(self, seller_id: str, order_id: str, marketplace_id: str) -> list[str]:
        """Names of the message types the order allows now (e.g. ``unexpectedProblem``)."""
        body = await self._json(
            Call(
                "getMessagingActionsForOrder",
                "GET",
                _order_path("messaging", order_id),
                seller_id,
                marketplace_id,
                params={"marketplaceIds": marketplace_id},
            )
        )
        return action_names(body)

    async def get_attributes(self, seller_id: str, order_id: str, marketplace_id: str) -> str:
        """The buyer's preferred locale (the marketplace's usual one when Amazon gives none)."""
        body = await self._json(
            Call(
                "GetAttributes",
                "GET",
                _order_path("messaging", order_id) + "/attributes",
                seller_id,
                marketplace_id,
                params={"marketplaceIds": marketplace_id},
            )
        )
        buyer = body.get("buyer")
        locale = buyer.get("locale") if isinstance(buyer, dict) else None
        return locale if isinstance(locale, str) and locale else default_locale(marketplace_id)

    async def send_message(
        self, seller_id: str, order_id: str, marketplace_id: str, action: str, body: Mapping[str, Any]
    ) -> None:
        """Send one message of type ``action``; raises ``OutcomeUnknownError`` if it may or may not have gone."""
        kind = MESSAGE_ACTIONS.get(action)
        if kind is None:
            raise InvalidRequestError(f"unknown message action {action!r}", operation="sendMessage")
        await self._calls.execute(
            Call(
                kind.operation,
                "POST",
                f"{_order_path('messaging', order_id)}/messages/{kind.path}",
                seller_id,
                marketplace_id,
                params={"marketplaceIds": marketplace_id},
                json_body=body,
                sends=True,
            )
        )

    # -- Solicitations v1 ----------------------------------------------------------------------------------

    async def get_solicitation_actions(self, seller_id: str, order_id: str, marketplace_id: str) -> list[str]:
        """Solicitation types available for the order (``productReviewAndSellerFeedback`` or none)."""
        body = await self._json(
            Call(
                "getSolicitationActionsForOrder",
                "GET",
                _order_path("solicitations", order_id),
                seller_id,
                marketplace_id,
                params={"marketplaceIds": marketplace_id},
            )
        )
        return action_names(body)

    async def create_solicitation(self, seller_id: str, order_id: str, marketplace_id: str) -> None:
        """Ask the buyer for a review and seller feedback (once per order)."""
        await self._calls.execute(
            Call(
                "createProductReviewAndSellerFeedbackSolicitation",
                "POST",
                _order_path("solicitations", order_id) + "/solicitations/productReviewAndSellerFeedback",
                seller_id,
                marketplace_id,
                params={"marketplaceIds": marketplace_id},
                sends=True,
            )
        )

    # -- Reports 2021-06-30 --------------------------------------------------------------------------------

    async def create_report(
        self,
        seller_id: str,
        report_type: str,
        marketplace_ids: Sequence[str],
        *,
        data_start_time: datetime | None = None,
        data_end_time: datetime | None = None,
        report_options: Mapping[str, str] | None = None,
    ) -> str:
        """Request a report; returns its ``reportId``."""
        if not marketplace_ids:
            raise InvalidRequestError(
                "createReport needs at least one marketplace id", operation="createReport"
            )
        spec: dict[str, Any] = {"reportType": report_type, "marketplaceIds": list(marketplace_ids)}
        for name, value in (("dataStartTime", data_start_time), ("dataEndTime", data_end_time)):
            if value is not None:
                spec[name] = value.isoformat()
        if report_options:
            spec["reportOptions"] = dict(report_options)
        # Repeating createReport at worst yields a second report, so it is retried like a read.
        call = Call(
            "createReport", "POST", f"{_REPORTS}/reports", seller_id, marketplace_ids[0], json_body=spec
        )
        report_id = (await self._json(call)).get("reportId")
        if not isinstance(report_id, str):
            raise SpApiPermanentError("createReport answered without a reportId", operation="createReport")
        return report_id

    async def get_report(
        self, seller_id: str, report_id: str, *, marketplace_id: str | None = None
    ) -> Report:
        """A report's status and, once ``DONE``, its ``report_document_id``."""
        path = f"{_REPORTS}/reports/{quote(report_id, safe='')}"
        body = await self._json(Call("getReport", "GET", path, seller_id, marketplace_id))
        return parse_model(Report, body, "getReport")

    async def get_report_document(
        self, seller_id: str, report_document_id: str, *, marketplace_id: str | None = None
    ) -> ReportDocument:
        """Where to download a report document (a URL that expires after 5 minutes)."""
        path = f"{_REPORTS}/documents/{quote(report_document_id, safe='')}"
        body = await self._json(Call("getReportDocument", "GET", path, seller_id, marketplace_id))
        return parse_model(ReportDocument, body, "getReportDocument")

    async def download_report_document(self, document: ReportDocument) -> bytes:
        """The document's bytes, decompressed when Amazon stored them gzip-compressed (both sizes capped)."""
        max_bytes, max_decompressed = self._document_caps
        data = await fetch_document(self._http, document.url, self._retry, max_bytes=max_bytes)
        return decode_document(document, data, max_decompressed=max_decompressed)

    async def download_report(
        self, seller_id: str, report_document_id: str, *, marketplace_id: str | None = None
    ) -> bytes:
        """``get_report_document`` then ``download_report_document``."""
        document = await self.get_report_document(
            seller_id, report_document_id, marketplace_id=marketplace_id
        )
        return await self.download_report_document(document)

    # -- helpers ---------------------------------------------------------------------------------------------

    async def _json(self, call: Call) -> dict[str, Any]:
        response = await self._calls.execute(call)
        try:
            body = response.json()
        except ValueError as exc:
            raise SpApiPermanentError(
                f"{call.operation}: response is not JSON", operation=call.operation
            ) from exc
        if not isinstance(body, dict):
            raise SpApiPermanentError(
                f"{call.operation}: response is not an object", operation=call.operation
            )
        return body
