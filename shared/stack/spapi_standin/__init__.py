"""A loopback stand-in for Amazon's SP-API (LWA, Messaging v1, Solicitations v1, Reports 2021-06-30).

It implements the contracts of the official models (request rules, HAL and error shapes, usage plans, 429s)
over an in-memory ``StandinState`` that tests seed and inspect, with fault injection for the cases a real
network produces: throttling, 5xx, slow answers and connections dropped after the work was done.
"""

from shared.stack.spapi_standin.limits import DEFAULT_RATE_LIMITS, RateLimit
from shared.stack.spapi_standin.server import StandinHandle, create_app, start_standin
from shared.stack.spapi_standin.state import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_MESSAGE_ACTIONS,
    Fault,
    Order,
    RecordedMessage,
    RecordedSolicitation,
    RequestRecord,
    StandinState,
)

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_MESSAGE_ACTIONS",
    "DEFAULT_RATE_LIMITS",
    "Fault",
    "Order",
    "RateLimit",
    "RecordedMessage",
    "RecordedSolicitation",
    "RequestRecord",
    "StandinHandle",
    "StandinState",
    "create_app",
    "start_standin",
]
