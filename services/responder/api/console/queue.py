"""The queue's views and filters (pure): query parameters to the API's ``TicketQuery``, sorted by due time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError

from services.responder.api.errors import ApiError
from services.responder.api.schemas.tickets import TicketQuery

__all__ = ["FILTERS", "PAGE", "SLA_STATES", "VIEWS", "QueueView", "queue_view"]

VIEWS = ("mine", "unassigned", "escalated", "all")
FILTERS = ("category", "priority", "status", "language", "marketplace_id")
SLA_STATES = {"breached": "breached", "due_soon": "due soon", "ok": "on time"}  # the API's ``sla`` filter
PAGE = 25


class QueueView:
    """The chosen view and filters, the API query they make, and the URLs that keep them."""

    __slots__ = ("cursor", "params", "query")

    def __init__(self, params: dict[str, str], query: TicketQuery, cursor: str | None) -> None:
        self.params = params
        self.query = query
        self.cursor = cursor

    def url(self, path: str, cursor: str | None = None) -> str:
        """``path`` with this view's parameters (and a page cursor)."""
        params = self.params | ({"cursor": cursor} if cursor else {})
        return f"{path}?{urlencode(params)}"


def queue_view(args: Mapping[str, str], *, actor: str) -> QueueView:
    """Mine (assigned to ``actor``), Unassigned, Escalated or All, one value per filter and an SLA state
    (breached, due soon or on time; 400 if invalid)."""
    view = args.get("view") if args.get("view") in VIEWS else "all"
    params = {"view": str(view)} | {k: args[k] for k in (*FILTERS, "sla") if args.get(k)}
    doc: dict[str, Any] = {k: [params[k]] for k in FILTERS if k in params}
    if "sla" in params:
        doc["sla"] = params["sla"]
    if view == "mine":
        doc["assignee"] = actor
    elif view == "unassigned":
        doc["unassigned"] = True
    elif view == "escalated":
        doc["status"] = ["escalated"]
    cursor = args.get("cursor") or None
    doc |= {"sort": "due_at", "order": "asc", "limit": PAGE, "cursor": cursor}
    try:
        return QueueView(params, TicketQuery.model_validate(doc), cursor)
    except ValidationError:
        raise ApiError(400, "invalid_filter", "a filter value is not valid") from None
