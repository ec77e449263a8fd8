"""Checks shared by the order-scoped APIs (Messaging, Solicitations): ``marketplaceIds`` and order lookup."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from shared.stack.spapi_standin.gateway import Caller, error_response
from shared.stack.spapi_standin.state import Order, StandinState

__all__ = ["find_order", "hal_actions", "marketplace_ids", "single_marketplace"]

_ORDER_ID = re.compile(r"^\d{3}-\d{7}-\d{7}$")


def marketplace_ids(request: Request) -> list[str]:
    """``marketplaceIds`` as sent: repeated or comma-separated (swagger 2.0 ``csv``)."""
    return [part for raw in request.query_params.getlist("marketplaceIds") for part in raw.split(",") if part]


def single_marketplace(request: Request) -> str | JSONResponse:
    """The one marketplace the request names, or the 400 Amazon answers otherwise."""
    ids = marketplace_ids(request)
    if len(ids) != 1:
        # The message seen from Amazon when the query parameter is missing (saleweaver#274).
        return error_response(400, "InvalidInput", "Missing or invalid request parameters: [marketplaceIds]")
    return ids[0]


def find_order(
    state: StandinState, caller: Caller, order_id: str, marketplace_id: str
) -> Order | JSONResponse:
    """The caller's order in that marketplace, or the sandbox-style 400 ``InvalidInput``."""
    order = state.orders.get(order_id) if _ORDER_ID.match(order_id) else None
    if order is None or order.seller_id != caller.seller_id or order.marketplace_id != marketplace_id:
        return error_response(400, "InvalidInput", "Invalid Input")
    return order


def hal_actions(
    base: str, marketplace_id: str, kind: str, names: list[str], schemas: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """A HAL ``get*ActionsForOrder`` body: ``_links.actions`` plus ``_embedded.actions`` with schemas."""
    query = f"?marketplaceIds={marketplace_id}"
    links = [{"href": f"{base}/{kind}/{name}{query}", "name": name} for name in names]
    embedded = []
    for name in names:
        action: dict[str, Any] = {
            "_links": {
                "self": {"href": f"{base}/{kind}/{name}{query}", "name": name},
                "schema": {"href": f"{base}/{kind}/{name}/schema", "name": name},
            }
        }
        if name in schemas:
            action["_embedded"] = {
                "schema": {
                    "_links": {"self": {"href": f"{base}/{kind}/{name}/schema"}},
                    "payload": schemas[name],
                }
            }
        embedded.append(action)
    return {"_links": {"self": {"href": base + query}, "actions": links}, "_embedded": {"actions": embedded}}
