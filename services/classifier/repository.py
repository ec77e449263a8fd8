"""SQL of the classifier for context events: order context and seller status (batch reads: repository_batch)."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.classifier.tables import ClassifierOrderRow, SellerStatusRow
from shared.events import OrderContextUpdated

__all__ = ["set_seller_status", "upsert_order"]


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
