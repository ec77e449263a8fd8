"""The Zendesk stand-in's in-memory state: tickets, comments, idempotency keys, rate limit and faults."""

from __future__ import annotations

import hashlib
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ZendeskFault", "ZendeskState", "ZendeskTicket"]


@dataclass(slots=True)
class ZendeskTicket:
    """A ticket as the API shows it; comments in order."""

    id: int
    external_id: str | None
    subject: str
    status: str
    priority: str | None
    tags: list[str]
    custom_fields: dict[int, Any]
    comments: list[dict[str, Any]] = field(default_factory=list)
    updated_at: str = ""

    def as_json(self) -> dict[str, Any]:
        """The ticket object of the API."""
        return {
            "id": self.id,
            "external_id": self.external_id,
            "subject": self.subject,
            "status": self.status,
            "priority": self.priority,
            "tags": sorted(self.tags),
            "custom_fields": [{"id": k, "value": v} for k, v in sorted(self.custom_fields.items())],
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True, slots=True)
class ZendeskFault:
    """An answer forced on the next request(s): ``status`` 429 (with ``retry_after``) or 5xx.

    ``applied``: the request is carried out before the fault is answered (a 5xx after the work was done).
    """

    status: int
    retry_after: int | None = None
    applied: bool = False


@dataclass(slots=True)
class ZendeskState:
    """Everything the stand-in knows; tests read and seed it directly or through the admin routes."""

    email: str = "sync@seller.example"
    token: str = "zendesk-standin-token"  # a loopback stand-in's fixed credential
    per_minute: int = 700
    tickets: dict[int, ZendeskTicket] = field(default_factory=dict)
    idempotency: dict[str, tuple[str, int]] = field(default_factory=dict)  # key -> (body digest, ticket id)
    faults: deque[ZendeskFault] = field(default_factory=deque)
    down: int | None = None  # every request answered with this status until cleared
    requests: list[tuple[str, str]] = field(default_factory=list)
    window: dict[int, int] = field(default_factory=dict)  # minute -> requests counted
    next_id: int = 1
    next_comment_id: int = 1_000

    def reset(self) -> None:
        """Forget tickets, keys, faults and counters."""
        self.tickets.clear()
        self.idempotency.clear()
        self.faults.clear()
        self.down = None
        self.requests.clear()
        self.window.clear()

    def by_external_id(self, external_id: str) -> list[ZendeskTicket]:
        """Tickets carrying ``external_id``."""
        return [t for t in self.tickets.values() if t.external_id == external_id]

    def add_comment(
        self, ticket: ZendeskTicket, body: str, *, public: bool, author_id: int
    ) -> dict[str, Any]:
        """Append a comment and return it."""
        comment = {"id": self.next_comment_id, "body": body, "public": public, "author_id": author_id}
        self.next_comment_id += 1
        ticket.comments.append(comment)
        return comment


def body_digest(body: Any) -> str:
    """What makes two requests with one idempotency key "the same request"."""
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
