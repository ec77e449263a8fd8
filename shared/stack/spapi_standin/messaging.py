"""Messaging v1 and Solicitations v1 operations of the stand-in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from shared.stack.spapi_standin.bodies import MESSAGE_TYPES, MessageType, validate_body
from shared.stack.spapi_standin.gateway import HAL, Caller, Gateway, content_type, error_response, json_object
from shared.stack.spapi_standin.orders import find_order, hal_actions, single_marketplace
from shared.stack.spapi_standin.state import Order, RecordedMessage, RecordedSolicitation, StandinState

__all__ = ["NOT_ALLOWED", "SOLICITATION_NOT_AVAILABLE", "add_messaging_routes"]

NOT_ALLOWED = "Invalid amazonOrderId and template combination."
# Amazon's answer to a second solicitation for the same order (selling-partner-api-models#19).
SOLICITATION_NOT_AVAILABLE = "The requested solicitation is not available for this amazonOrderId."
SOLICITATION = "productReviewAndSellerFeedback"
_MESSAGING = "/messaging/v1/orders/{amazonOrderId}"
_SOLICITATIONS = "/solicitations/v1/orders/{amazonOrderId}"

Handler = Callable[[Request, Caller], Awaitable[Response]]


def add_messaging_routes(app: FastAPI, gateway: Gateway) -> None:
    """Register every Messaging and Solicitations operation of the models."""
    state = gateway.state
    app.add_api_route(
        _MESSAGING, gateway.operation("getMessagingActionsForOrder", _actions(state)), methods=["GET"]
    )
    app.add_api_route(
        f"{_MESSAGING}/attributes", gateway.operation("GetAttributes", _attributes(state)), methods=["GET"]
    )
    for kind in MESSAGE_TYPES.values():
        app.add_api_route(
            f"{_MESSAGING}/messages/{kind.action}",
            gateway.operation(kind.operation, _send(state, kind)),
            methods=["POST"],
        )
    app.add_api_route(
        _SOLICITATIONS,
        gateway.operation("getSolicitationActionsForOrder", _solicitation_actions(state)),
        methods=["GET"],
    )
    app.add_api_route(
        f"{_SOLICITATIONS}/solicitations/{SOLICITATION}",
        gateway.operation("createProductReviewAndSellerFeedbackSolicitation", _solicit(state)),
        methods=["POST"],
    )


def _actions(state: StandinState) -> Handler:
    async def handle(request: Request, caller: Caller) -> Response:
        order_id = request.path_params["amazonOrderId"]
        marketplace = single_marketplace(request)
        if isinstance(marketplace, JSONResponse):
            return marketplace
        order = find_order(state, caller, order_id, marketplace)
        if isinstance(order, JSONResponse):
            return order
        names = sorted(order.actions)
        schemas = {name: MESSAGE_TYPES[name].json_schema() for name in names if name in MESSAGE_TYPES}
        body = hal_actions(f"/messaging/v1/orders/{order_id}", marketplace, "messages", names, schemas)
        return JSONResponse(body, media_type=HAL)

    return handle


def _attributes(state: StandinState) -> Handler:
    async def handle(request: Request, caller: Caller) -> Response:
        marketplace = single_marketplace(request)
        if isinstance(marketplace, JSONResponse):
            return marketplace
        order = find_order(state, caller, request.path_params["amazonOrderId"], marketplace)
        if isinstance(order, JSONResponse):
            return order
        return JSONResponse({"buyer": {"locale": order.buyer_locale}}, media_type=HAL)

    return handle


def _send(state: StandinState, kind: MessageType) -> Handler:
    async def handle(request: Request, caller: Caller) -> Response:
        marketplace = single_marketplace(request)
        if isinstance(marketplace, JSONResponse):
            return marketplace
        if content_type(request) != "application/json":
            return error_response(
                415, "UnsupportedMediaType", "The request payload is in an unsupported format."
            )
        body = json_object(await request.body())
        if body is None:
            return error_response(
                400, "InvalidInput", "Invalid Input", "The request body must be a JSON object."
            )
        order = find_order(state, caller, request.path_params["amazonOrderId"], marketplace)
        if isinstance(order, JSONResponse):
            return order
        problem = validate_body(kind, body)
        if problem is not None:
            return error_response(400, "InvalidInput", "Invalid Input", problem)
        if kind.action not in order.actions:
            return error_response(403, "Unauthorized", NOT_ALLOWED)
        state.messages.append(
            RecordedMessage(
                seller_id=caller.seller_id,
                order_id=order.order_id,
                marketplace_id=marketplace,
                action=kind.action,
                operation=kind.operation,
                body=body,
                at=state.now(),
                request_id=caller.request_id,
            )
        )
        return JSONResponse({}, status_code=201, media_type=HAL)

    return handle


def _solicited(state: StandinState, order_id: str) -> bool:
    return any(s.order_id == order_id for s in state.solicitations)


def _offered(state: StandinState, order: Order) -> bool:
    """Amazon lists the solicitation once per order, only inside the window, never to buyers who opted out."""
    return (
        order.solicitation_allowed
        and order.in_solicitation_window(state.now())
        and not _solicited(state, order.order_id)
    )


def _solicitation_actions(state: StandinState) -> Handler:
    async def handle(request: Request, caller: Caller) -> Response:
        order_id = request.path_params["amazonOrderId"]
        marketplace = single_marketplace(request)
        if isinstance(marketplace, JSONResponse):
            return marketplace
        order = find_order(state, caller, order_id, marketplace)
        if isinstance(order, JSONResponse):
            return order
        names = [SOLICITATION] if _offered(state, order) else []
        schema = {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "properties": {}}
        body = hal_actions(
            f"/solicitations/v1/orders/{order_id}",
            marketplace,
            "solicitations",
            names,
            {SOLICITATION: schema},
        )
        return JSONResponse(body, media_type=HAL)

    return handle


def _solicit(state: StandinState) -> Handler:
    async def handle(request: Request, caller: Caller) -> Response:
        order_id = request.path_params["amazonOrderId"]
        marketplace = single_marketplace(request)
        if isinstance(marketplace, JSONResponse):
            return marketplace
        order = find_order(state, caller, order_id, marketplace)
        if isinstance(order, JSONResponse):
            return order
        if not _offered(state, order):
            # Outside the window Amazon documents only "an unexpected API error"; the stand-in answers the
            # same refusal as for a second solicitation, which nothing may repeat.
            return error_response(403, "Unauthorized", SOLICITATION_NOT_AVAILABLE)
        state.solicitations.append(
            RecordedSolicitation(caller.seller_id, order_id, marketplace, state.now(), caller.request_id)
        )
        return JSONResponse({}, status_code=201, media_type=HAL)

    return handle
