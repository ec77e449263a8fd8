"""Inbound HTTP: the EventBridge API destination and raw relay mail, next to /healthz, /readyz and /metrics.

Status codes follow what the callers retry (mail NOTES §3): 202 only after Kafka acked the events; 400 for
an input that cannot be parsed (it is kept on the rejected topic first, and EventBridge does not retry 4xx);
503 with Retry-After when Kafka or the database is unavailable (EventBridge retries 429 and 5xx); 401 for a
missing or wrong API key (compared in constant time).
"""

from __future__ import annotations

import hmac
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from services.ingest.deps import IngestDeps
from services.ingest.handlers import InboundInput, InputResult, ParseFn, handle_inputs
from services.ingest.intake import Parsed
from services.ingest.parse import SpApiNotification, decode_sqs_body
from shared.errors import ValidationError
from shared.events import SignalSource
from shared.health import HealthState, health_router

__all__ = ["EVENTBRIDGE_PATH", "INBOUND_EMAIL_PATH", "create_app", "ingest_router"]

log = logging.getLogger(__name__)

EVENTBRIDGE_PATH = "/v1/eventbridge"
INBOUND_EMAIL_PATH = "/v1/inbound-email"
_MAIL_TYPES = frozenset({"message/rfc822", "application/octet-stream"})
# EventBridge events are at most 256 KB; anything far larger is not one.
_MAX_EVENT_BYTES = 1024 * 1024
_RETRY_AFTER_S = "5"


def create_app(*, deps: IngestDeps, health: HealthState) -> FastAPI:
    """The ingest HTTP app: health routes plus the inbound endpoints."""
    app = FastAPI(title="complaints ingest", openapi_url=None, docs_url=None, redoc_url=None)
    app.include_router(health_router(health))
    app.include_router(ingest_router(deps))
    return app


def _api_key_guard(deps: IngestDeps) -> Callable[[Request], Awaitable[None]]:
    header = deps.settings.eventbridge_api_key_header
    keys = [key.get_secret_value().encode() for key in deps.settings.eventbridge_api_keys]

    async def guard(request: Request) -> None:
        presented = request.headers.get(header)
        if presented is None or not keys:
            raise HTTPException(status_code=401, detail="missing or invalid API key")
        matched = False
        for key in keys:
            # Every key is compared (no early exit), so timing says nothing about which one nearly matched.
            matched |= hmac.compare_digest(presented.encode(), key)
        if not matched:
            raise HTTPException(status_code=401, detail="missing or invalid API key")

    return guard


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(status_code=413, detail=f"body larger than {limit} bytes")
    body = await request.body()
    if len(body) > limit:
        raise HTTPException(status_code=413, detail=f"body larger than {limit} bytes")
    return body


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
        body = await _body(request, _MAX_EVENT_BYTES)
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
        body = await _body(request, deps.settings.max_email_bytes)
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


def _mail_content_type(request: Request) -> str:
    value = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if value not in _MAIL_TYPES:
        raise HTTPException(status_code=415, detail="send the raw mail as message/rfc822")
    return value
