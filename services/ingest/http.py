"""Inbound HTTP: the EventBridge API destination and raw relay mail, next to /healthz, /readyz and /metrics.

Status codes follow what the callers retry (mail NOTES §3): 202 only after Kafka acked the events; 400 for
an input that cannot be parsed (it is kept on the rejected topic first, and EventBridge does not retry 4xx);
503 with Retry-After when Kafka or the database is unavailable (EventBridge retries 429 and 5xx); 401 for a
missing or wrong API key (compared in constant time; an empty key never matches), 429 with Retry-After once a
client address (or everyone together) failed too often; 413 for a body over its cap, before the key check.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect

from services.ingest.deps import IngestDeps
from services.ingest.handlers import InboundInput, InputResult, ParseFn, handle_inputs
from services.ingest.intake import Parsed
from services.ingest.parse import SpApiNotification, decode_sqs_body
from services.ingest.parse.zendesk import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureRefused,
    parse_zendesk_webhook,
    verify_zendesk,
)
from shared.auth_throttle import AuthFailures
from shared.errors import ValidationError
from shared.events import SignalSource
from shared.health import HealthState, health_router
from shared.http_limits import BodyLimit
from shared.http_security import SecurityHeaders

__all__ = [
    "EVENTBRIDGE_PATH",
    "INBOUND_EMAIL_PATH",
    "ZENDESK_PATH",
    "create_app",
    "ingest_router",
    "zendesk_router",
]

log = logging.getLogger(__name__)

EVENTBRIDGE_PATH = "/v1/eventbridge"
INBOUND_EMAIL_PATH = "/v1/inbound-email"
ZENDESK_PATH = "/v1/zendesk/{seller_id}/webhook"
_SELLER_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_MAIL_TYPES = frozenset({"message/rfc822", "application/octet-stream"})
_RETRY_AFTER_S = "5"


def create_app(*, deps: IngestDeps, health: HealthState) -> FastAPI:
    """The ingest HTTP app: health routes plus the inbound endpoints, bodies capped before the key check."""
    app = FastAPI(title="complaints ingest", openapi_url=None, docs_url=None, redoc_url=None)
    app.include_router(health_router(health))
    app.include_router(ingest_router(deps))
    app.include_router(zendesk_router(deps))
    limits = deps.settings
    app.add_middleware(
        BodyLimit,
        default=limits.max_event_bytes,
        limits={EVENTBRIDGE_PATH: limits.max_event_bytes, INBOUND_EMAIL_PATH: limits.max_email_bytes},
    )
    app.add_middleware(SecurityHeaders)  # added last, so outermost: a 413 carries the headers too
    return app


def _digest(value: str) -> bytes:
    # Equal-length digests: compare_digest's time then says nothing about the configured keys' lengths.
    return hashlib.sha256(value.encode("utf-8", "surrogateescape")).digest()


def _api_key_guard(deps: IngestDeps) -> Callable[[Request], Awaitable[None]]:
    header = deps.settings.eventbridge_api_key_header
    # An empty key would match an empty header: never usable (settings refuse it too, this is the backstop).
    keys = [_digest(v) for key in deps.settings.eventbridge_api_keys if (v := key.get_secret_value()).strip()]
    failures = AuthFailures(
        per_client=deps.settings.auth_failure_burst, global_burst=deps.settings.auth_failure_global_burst
    )

    async def guard(request: Request) -> None:
        presented = request.headers.get(header, "")
        matched = False
        if presented.strip() and keys:
            digest = _digest(presented)
            for key in keys:
                # Every key is compared (no early exit), so timing says nothing about which one nearly matched.
                matched |= hmac.compare_digest(digest, key)
        if matched:
            return
        client = request.client.host if request.client else "unknown"
        wait = failures.blocked(client)
        if wait > 0:
            raise HTTPException(
                status_code=429,
                detail="too many failed authentications",
                headers={"Retry-After": failures.retry_after(wait)},
            )
        failures.failed(client)
        raise HTTPException(status_code=401, detail="missing or invalid API key")

    return guard


async def _body(request: Request) -> bytes:
    # The size cap is BodyLimit's (outermost, before this guard ran); a body cut off there reads as a
    # disconnect, and whatever is answered then is dropped by BodyLimit after its 413.
    try:
        return await request.body()
    except ClientDisconnect:
        raise HTTPException(status_code=400, detail="request body not received") from None


def _respond(result: InputResult) -> JSONResponse:
    if result.verdict == "done":
        return JSONResponse({"event_ids": list(result.event_ids)}, status_code=202)
    if result.verdict == "rejected":
        return JSONResponse({"error": str(result.error)[:500]}, status_code=400)
    return JSONResponse(
        {"error": "temporarily unavailable"}, status_code=503, headers={"Retry-After": _RETRY_AFTER_S}
    )


async def _handle(item: InboundInput, parse: ParseFn, deps: IngestDeps) -> JSONResponse:
    if not await deps.producer.ping():
        return JSONResponse(
            {"error": "event broker unavailable"}, status_code=503, headers={"Retry-After": _RETRY_AFTER_S}
        )
    results = await handle_inputs([item], parse=parse, deps=deps)
    return _respond(results[item.key])


def ingest_router(deps: IngestDeps) -> APIRouter:
    """POST /v1/eventbridge and POST /v1/inbound-email behind the API-key header."""
    router = APIRouter(dependencies=[Depends(_api_key_guard(deps))])
    intake = deps.intake

    async def parse_eventbridge(item: InboundInput) -> Parsed:
        envelope = decode_sqs_body(item.body)
        if not isinstance(envelope, SpApiNotification) or envelope.source is not SignalSource.EVENTBRIDGE:
            raise ValidationError("not an EventBridge event carrying an SP-API notification")
        return await intake.parse(envelope, received_at=item.received_at, correlation_id=item.correlation_id)

    async def parse_mail(item: InboundInput) -> Parsed:
        if not item.body.strip():
            raise ValidationError("empty mail")
        event = intake.mail(item.body, received_at=item.received_at, correlation_id=item.correlation_id)
        return Parsed((event,))

    @router.post(EVENTBRIDGE_PATH, status_code=202)
    async def eventbridge(request: Request) -> JSONResponse:
        body = await _body(request)
        key = uuid.uuid4().hex
        item = InboundInput(
            key=key,
            body=body,
            received_at=datetime.now(UTC),
            correlation_id=f"eventbridge:{key}",
            source="eventbridge",
            headers={"http.path": EVENTBRIDGE_PATH, "http.user_agent": request.headers.get("user-agent", "")},
        )
        return await _handle(item, parse_eventbridge, deps)

    @router.post(INBOUND_EMAIL_PATH, status_code=202)
    async def inbound_email(
        request: Request, content_type: Annotated[str, Depends(_mail_content_type)]
    ) -> JSONResponse:
        body = await _body(request)
        key = uuid.uuid4().hex
        item = InboundInput(
            key=key,
            body=body,
            received_at=datetime.now(UTC),
            correlation_id=f"email:{key}",
            source="email",
            headers={"http.path": INBOUND_EMAIL_PATH, "http.content_type": content_type},
        )
        return await _handle(item, parse_mail, deps)

    return router


def zendesk_router(deps: IngestDeps) -> APIRouter:
    """POST /v1/zendesk/{seller_id}/webhook: the seller's Zendesk webhook, signed with its own secret.

    A missing or wrong signature, an unknown seller or a timestamp outside the replay window: 401 (429 once a
    client failed too often), not kept. A signed body that is not an update we understand: 400, kept on the
    rejected topic with the reason. A comment delivered again: 202, published once (dedup key).
    """
    router = APIRouter()
    settings = deps.settings
    failures = AuthFailures(
        per_client=settings.auth_failure_burst, global_burst=settings.auth_failure_global_burst
    )

    def refuse(request: Request, reason: str) -> JSONResponse:
        client = request.client.host if request.client else "unknown"
        wait = failures.blocked(client)
        if wait > 0:
            return JSONResponse(
                {"error": "too many failed authentications"},
                status_code=429,
                headers={"Retry-After": failures.retry_after(wait)},
            )
        failures.failed(client)
        return JSONResponse({"error": reason}, status_code=401)

    @router.post(ZENDESK_PATH, status_code=202)
    async def zendesk(seller_id: str, request: Request) -> JSONResponse:
        body = await _body(request)
        secret = settings.zendesk_webhook_secrets.get(seller_id) if _SELLER_ID.fullmatch(seller_id) else None
        if secret is None:
            return refuse(request, "unknown seller or no webhook secret configured")
        received_at = datetime.now(UTC)
        try:
            verify_zendesk(
                secret.get_secret_value(),
                timestamp=request.headers.get(TIMESTAMP_HEADER, ""),
                signature=request.headers.get(SIGNATURE_HEADER, ""),
                body=body,
                now=received_at,
                tolerance_s=settings.zendesk_webhook_tolerance_s,
            )
        except SignatureRefused as exc:
            log.warning("ingest.zendesk_refused", extra={"seller_id": seller_id, "reason": str(exc)})
            return refuse(request, str(exc))
        key = uuid.uuid4().hex
        item = InboundInput(
            key=key,
            body=body,
            received_at=received_at,
            correlation_id=f"zendesk:{key}",
            source="zendesk",
            headers={"http.path": request.url.path[:200], "zendesk.seller_id": seller_id},
        )

        async def parse(item: InboundInput) -> Parsed:
            event = parse_zendesk_webhook(item.body, seller_id=seller_id, received_at=item.received_at)
            return Parsed((event,))

        return await _handle(item, parse, deps)

    return router


def _mail_content_type(request: Request) -> str:
    value = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if value not in _MAIL_TYPES:
        raise HTTPException(status_code=415, detail="send the raw mail as message/rfc822")
    return value
