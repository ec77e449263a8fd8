"""Amazon report inputs as the Reports API and SP-API notifications deliver them (campaign, tests, tools)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

__all__ = ["RETURNS_HEADER", "report_finished", "returns_report"]

RETURNS_HEADER = (
    "Order ID",
    "Order date",
    "Return request date",
    "Return request status",
    "Amazon RMA ID",
    "A-to-Z Claim",
    "ASIN",
    "Merchant SKU",
    "Item Name",
    "Return quantity",
    "Return Reason",
)
"""Columns of the seller-fulfilled returns flat file."""


def returns_report(rows: Iterable[tuple[str, str, str]], *, item_name: str = "Lamp") -> bytes:
    """A seller-fulfilled returns flat file; each row is (order id, RMA, return quantity), all defective."""
    lines = ["\t".join(RETURNS_HEADER)]
    for order_id, rma, quantity in rows:
        cells = (order_id, "2026-01-01", "2026-01-03", "Approved", rma, "N", "B000000001", "SKU-1", item_name)
        lines.append("\t".join((*cells, quantity, "CR-DEFECTIVE")))
    return ("\n".join(lines) + "\n").encode()


def report_finished(
    *,
    seller_id: str,
    report_id: str,
    report_type: str,
    document_id: str | None,
    at: datetime,
    notification_id: str,
    application_id: str,
    subscription_id: str,
    status: str = "DONE",
) -> dict[str, Any]:
    """A REPORT_PROCESSING_FINISHED notification (camelCase, as Amazon sends it), published a second after."""
    body: dict[str, Any] = {
        "sellerId": seller_id,
        "accountId": f"amzn1.merchant.o.{seller_id}",
        "reportId": report_id,
        "reportType": report_type,
        "processingStatus": status,
    }
    if document_id is not None:
        body["reportDocumentId"] = document_id
    return {
        "notificationVersion": "2020-09-04",
        "notificationType": "REPORT_PROCESSING_FINISHED",
        "payloadVersion": "2020-09-04",
        "eventTime": _ts(at),
        "payload": {"reportProcessingFinishedNotification": body},
        "notificationMetadata": {
            "applicationId": application_id,
            "subscriptionId": subscription_id,
            "publishTime": _ts(at + timedelta(seconds=1)),
            "notificationId": notification_id,
        },
    }


def _ts(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
