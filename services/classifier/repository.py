"""All SQL of the classifier: order context, seller status and buyer history."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.classifier.engine import BuyerHistory, OrderContext
from services.classifier.tables import BuyerEventRow, ClassifierOrderRow, SellerStatusRow
from shared.events import OrderContextUpdated

__all__ = [
    "add_buyer_event",
    "buyer_history",
    "load_order_context",
    "record_contact",
    "set_seller_status",
    "upsert_order",
]


async def upsert_order(session: AsyncSession, *, event: OrderContextUpdated) -> None:
    """Merge an order/shipment notification into the stored order context."""
    if not event.order_id:
        return
    values = {
        "seller_id": event.seller_id,
        "order_id": event.order_id,
        "order_status": event.order_status,
        "fulfillment_type": event.fulfillment_type,
        "purchase_date": event.purchase_date,
        "latest_delivery_date": event.latest_delivery_date,
        "order_amount": event.order_amount,
        "currency": event.currency,
        "buyer_cancel_requested": bool(event.change_reason and "cancel" in event.change_reason.lower()),
        "tracking_milestones": [event.tracking_milestone] if event.tracking_milestone else [],
    }
    stmt = insert(ClassifierOrderRow).values(**values)
    excluded = stmt.excluded
    row = ClassifierOrderRow
    stmt = stmt.on_conflict_do_update(
        index_elements=[row.seller_id, row.order_id],
        set_={
            "order_status": func.coalesce(excluded.order_status, row.order_status),
            "fulfillment_type": func.coalesce(excluded.fulfillment_type, row.fulfillment_type),
            "purchase_date": func.coalesce(excluded.purchase_date, row.purchase_date),
            "latest_delivery_date": func.coalesce(excluded.latest_delivery_date, row.latest_delivery_date),
            "order_amount": func.coalesce(excluded.order_amount, row.order_amount),
            "currency": func.coalesce(excluded.currency, row.currency),
            "buyer_cancel_requested": row.buyer_cancel_requested | excluded.buyer_cancel_requested,
            "tracking_milestones": row.tracking_milestones.op("||")(excluded.tracking_milestones),
            "updated_at": func.now(),
        },
    )
    await session.execute(stmt)


async def set_seller_status(session: AsyncSession, *, seller_id: str, status: str) -> None:
    """Remember a seller's latest account status."""
    stmt = insert(SellerStatusRow).values(seller_id=seller_id, status=status)
    stmt = stmt.on_conflict_do_update(
        index_elements=[SellerStatusRow.seller_id], set_={"status": status, "updated_at": func.now()}
    )
    await session.execute(stmt)


async def record_contact(session: AsyncSession, *, seller_id: str, order_id: str, at: datetime) -> None:
    """Count one more complaint contact on the order (creates the row when unknown)."""
    stmt = insert(ClassifierOrderRow).values(
        seller_id=seller_id, order_id=order_id, prior_contacts=1, first_contact_at=at
    )
    row = ClassifierOrderRow
    stmt = stmt.on_conflict_do_update(
        index_elements=[row.seller_id, row.order_id],
        set_={
            "prior_contacts": row.prior_contacts + 1,
            "first_contact_at": func.coalesce(row.first_contact_at, stmt.excluded.first_contact_at),
        },
    )
    await session.execute(stmt)


async def load_order_context(session: AsyncSession, *, seller_id: str, order_id: str | None) -> OrderContext:
    """The order context as the engine wants it (empty when nothing is known)."""
    status_row = await session.get(SellerStatusRow, seller_id)
    account_status = status_row.status if status_row else None
    order = await session.get(ClassifierOrderRow, (seller_id, order_id)) if order_id else None
    if order is None:
        return OrderContext(account_status=account_status)
    return OrderContext(
        order_status=order.order_status,
        fulfillment_type=order.fulfillment_type,
        purchase_date=order.purchase_date,
        latest_delivery_date=order.latest_delivery_date,
        tracking_milestones=tuple(order.tracking_milestones or ()),
        order_amount=order.order_amount,
        currency=order.currency,
        account_status=account_status,
        buyer_cancel_requested=order.buyer_cancel_requested,
        prior_contacts=order.prior_contacts,
        first_contact_at=order.first_contact_at,
    )


async def add_buyer_event(
    session: AsyncSession,
    *,
    event_id: uuid.UUID,
    buyer_hash: str,
    seller_id: str,
    order_id: str | None,
    kind: str,
    reason: str | None,
    long_use: bool,
    occurred_at: datetime,
) -> None:
    """Append one return/complaint/A-to-z to a buyer's history (idempotent on the event id)."""
    stmt = insert(BuyerEventRow).values(
        event_id=event_id,
        buyer_hash=buyer_hash,
        seller_id=seller_id,
        order_id=order_id,
        kind=kind,
        reason=reason,
        long_use=long_use,
        occurred_at=occurred_at,
    )
    await session.execute(stmt.on_conflict_do_nothing())


async def buyer_history(session: AsyncSession, *, buyer_hash: str, now: datetime) -> BuyerHistory:
    """Counts over rolling windows for one buyer."""
    e = BuyerEventRow

    def count(kind: str, days: int) -> ColumnElement[int]:
        return func.count().filter(and_(e.kind == kind, e.occurred_at >= now - timedelta(days=days)))

    reasons_90d = func.count(func.distinct(case((e.occurred_at >= now - timedelta(days=90), e.reason))))
    stmt = select(
        count("return", 30),
        count("return", 90),
        count("return", 365),
        count("complaint", 90),
        count("a_to_z", 365),
        reasons_90d,
        func.count().filter(and_(e.long_use, e.occurred_at >= now - timedelta(days=365))),
    ).where(e.buyer_hash == buyer_hash)
    r30, r90, r365, c90, az, reasons, long_use = (await session.execute(stmt)).one()
    return BuyerHistory(
        returns_30d=r30,
        returns_90d=r90,
        returns_365d=r365,
        complaints_90d=c90,
        a_to_z_claims_365d=az,
        contradicting_reasons_90d=max(0, reasons - 1),
        long_use_returns_365d=long_use,
    )
