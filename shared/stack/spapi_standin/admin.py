"""``/_standin/`` admin endpoints: seed sellers, orders and reports, inject faults, read what was recorded."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from shared.stack.spapi_standin.state import DEFAULT_MESSAGE_ACTIONS, FaultKind, StandinState

__all__ = ["ADMIN_PREFIX", "admin_router"]

ADMIN_PREFIX = "/_standin"


class SellerSpec(BaseModel):
    """A seller that authorised the application."""

    seller_id: str
    refresh_token: str


class OrderSpec(BaseModel):
    """An order to seed."""

    order_id: str
    seller_id: str
    marketplace_id: str = "ATVPDKIKX0DER"
    buyer_locale: str = "en-US"
    actions: list[str] = Field(default_factory=lambda: sorted(DEFAULT_MESSAGE_ACTIONS))
    solicitation_allowed: bool = True
    earliest_delivery: datetime | None = None
    latest_delivery: datetime | None = None


class ReportSpec(BaseModel):
    """Contents of the next reports of one type for one seller (``content`` text or ``content_b64``)."""

    seller_id: str
    report_type: str
    content: str | None = None
    content_b64: str | None = None
    gzip: bool = False
    polls_until_done: int = Field(default=0, ge=0)
    outcome: Literal["DONE", "FATAL", "CANCELLED"] = "DONE"


class FaultSpec(BaseModel):
    """A fault for the next ``count`` requests (of ``operation``, or any)."""

    kind: FaultKind
    count: int = Field(default=1, ge=1)
    operation: str | None = None
    status: int = 500
    delay_s: float = Field(default=0.0, ge=0)
    processed: bool | None = None


class RateLimitSpec(BaseModel):
    """A usage plan override, or switching throttling on/off when ``operation`` is omitted."""

    operation: str | None = None
    rate: float = Field(default=1.0, gt=0)
    burst: int = Field(default=5, ge=1)
    enabled: bool = True


class TokenTtlSpec(BaseModel):
    """Lifetime of access tokens issued from now on."""

    seconds: int = Field(ge=1)


def admin_router(state: StandinState) -> APIRouter:
    """The admin API over ``state`` (loopback test use only: it has no auth)."""
    router = APIRouter(prefix=ADMIN_PREFIX)

    @router.get("/health")
    async def health() -> dict[str, bool]:
        return {"ok": True}

    @router.post("/sellers", status_code=204)
    async def add_seller(spec: SellerSpec) -> None:
        state.add_seller(spec.seller_id, spec.refresh_token)

    def seed(spec: OrderSpec) -> None:
        state.add_order(
            spec.order_id,
            spec.seller_id,
            marketplace_id=spec.marketplace_id,
            buyer_locale=spec.buyer_locale,
            actions=spec.actions,
            solicitation_allowed=spec.solicitation_allowed,
            earliest_delivery=spec.earliest_delivery,
            latest_delivery=spec.latest_delivery,
        )

    @router.post("/orders", status_code=204)
    async def add_order(spec: OrderSpec) -> None:
        seed(spec)

    @router.post("/orders/batch", status_code=204)
    async def add_orders(specs: list[OrderSpec]) -> None:
        """Many orders in one request (benchmarks seed tens of thousands)."""
        for spec in specs:
            seed(spec)

    @router.post("/reports", status_code=204)
    async def set_report(spec: ReportSpec) -> None:
        content = base64.b64decode(spec.content_b64) if spec.content_b64 else (spec.content or "").encode()
        state.set_report(
            spec.seller_id,
            spec.report_type,
            content,
            gzip=spec.gzip,
            polls_until_done=spec.polls_until_done,
            outcome=spec.outcome,
        )

    @router.post("/faults", status_code=204)
    async def add_fault(spec: FaultSpec) -> None:
        state.inject(
            spec.kind,
            count=spec.count,
            operation=spec.operation,
            status=spec.status,
            delay_s=spec.delay_s,
            processed=spec.processed,
        )

    @router.delete("/faults", status_code=204)
    async def clear_faults() -> None:
        state.faults.clear()

    @router.post("/rate-limits", status_code=204)
    async def set_rate_limit(spec: RateLimitSpec) -> None:
        state.rate_limiting = spec.enabled
        if spec.operation is not None:
            state.set_rate_limit(spec.operation, spec.rate, spec.burst)

    @router.post("/token-ttl", status_code=204)
    async def set_token_ttl(spec: TokenTtlSpec) -> None:
        state.token_ttl_s = spec.seconds

    @router.get("/messages")
    async def messages(order_id: str | None = None) -> list[dict[str, Any]]:
        return [
            {
                "seller_id": m.seller_id,
                "order_id": m.order_id,
                "marketplace_id": m.marketplace_id,
                "action": m.action,
                "operation": m.operation,
                "body": m.body,
                "at": m.at.isoformat(),
                "request_id": m.request_id,
            }
            for m in state.messages
            if order_id is None or m.order_id == order_id
        ]

    @router.get("/solicitations")
    async def solicitations() -> list[dict[str, str]]:
        return [
            {"seller_id": s.seller_id, "order_id": s.order_id, "marketplace_id": s.marketplace_id}
            for s in state.solicitations
        ]

    @router.get("/requests")
    async def requests(operation: str | None = None) -> list[dict[str, Any]]:
        return [
            {"operation": r.operation, "seller_id": r.seller_id, "status": r.status}
            for r in state.requests
            if operation is None or r.operation == operation
        ]

    return router
