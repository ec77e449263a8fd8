"""Human changes to a ticket (pure): ETag preconditions and the field changes a PATCH makes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from services.responder.api.schemas.tickets import TicketPatch
from services.responder.tables import Ticket
from services.responder.tickets.transitions import after_flag, flag_of_status

__all__ = ["FieldChange", "PreconditionError", "apply_changes", "matches_if_match", "plan_changes"]

_ETAG = re.compile(r'^\s*(?:W/)?"(\d{1,18})"\s*$')
_KINDS = {
    "status": "status_changed",
    "assignee": "assignee_changed",
    "priority_override": "priority_overridden",
    "tags": "tags_changed",
    "no_response_needed": "no_response_needed_changed",
}


class PreconditionError(ValueError):
    """If-Match is missing (428) or names no version (412)."""


def matches_if_match(header: str | None, version: int) -> bool:
    """True when any listed ETag is the current version; PreconditionError when absent or unusable."""
    if header is None or not header.strip():
        raise PreconditionError("If-Match is required")
    tags = [part for part in header.split(",") if part.strip()]
    versions = []
    for tag in tags:
        match = _ETAG.match(tag)
        if match is None:
            # '*' would skip the check this header exists for; a client must show the version it saw.
            raise PreconditionError("If-Match must carry the ticket's ETag")
        versions.append(int(match.group(1)))
    return version in versions


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One changed field: the timeline kind, old and new values."""

    field: str
    kind: str
    old: Any
    new: Any


def _tags(current: list[dict[str, Any]], names: list[str]) -> list[dict[str, Any]]:
    kept = {str(t["name"]): float(t["confidence"]) for t in current}
    return [{"name": n, "confidence": kept.get(n, 1.0)} for n in sorted(set(names))]


def plan_changes(ticket: Ticket, patch: TicketPatch) -> list[FieldChange]:
    """The changes ``patch`` makes; unchanged values make none. Status and the flag stay consistent."""
    given = patch.model_fields_set
    status, flag = ticket.status, ticket.no_response_needed
    if "no_response_needed" in given and patch.no_response_needed is not None:
        flag = patch.no_response_needed
        status = after_flag(status, no_response_needed=flag)
    if "status" in given and patch.status is not None:
        status = patch.status
        if "no_response_needed" not in given:
            flag = flag_of_status(status)
    new: dict[str, Any] = {"status": status, "no_response_needed": flag}
    if "assignee" in given:
        new["assignee"] = patch.assignee
    if "priority_override" in given:
        new["priority_override"] = patch.priority_override
    if "tags" in given and patch.tags is not None:
        new["tags"] = _tags(ticket.tags or [], patch.tags)
    changes = []
    for name, value in new.items():
        old = getattr(ticket, name)
        if old != value:
            changes.append(FieldChange(field=name, kind=_KINDS[name], old=old, new=value))
    return changes


def apply_changes(ticket: Ticket, changes: list[FieldChange]) -> None:
    """Set the new values and bump the version once."""
    for change in changes:
        setattr(ticket, change.field, change.new)
    if changes:
        ticket.version += 1
