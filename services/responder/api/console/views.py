"""What the console pages show (pure): SLA countdowns, highlighted phrases, marked lint spans, messages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.responder.replies.templating import TemplateInfo
from services.responder.tickets.status import AWAITING_SELLER

__all__ = [
    "Countdown",
    "Message",
    "Segment",
    "countdown",
    "countdown_of",
    "messages_of",
    "segments",
    "template_choices",
]


@dataclass(frozen=True, slots=True)
class Countdown:
    """An SLA countdown as shown in a row: the words and a state for the style."""

    text: str
    state: str  # "ok", "soon", "overdue" or "none"


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} m"
    return f"{mins} m"


def countdown(*, due_at: datetime | None, status: str, now: datetime, soon_s: float = 4 * 3600) -> Countdown:
    """ "4 h 12 m left", "overdue + 2 h 5 m", or a dash when no reply is owed."""
    if due_at is None or status not in AWAITING_SELLER:
        return Countdown("—", "none")
    left = (due_at - now).total_seconds()
    if left <= 0:
        return Countdown(f"overdue + {_span(-left)}", "overdue")
    return Countdown(f"{_span(left)} left", "soon" if left <= soon_s else "ok")


def countdown_of(ticket: Mapping[str, Any], *, now: datetime, window: timedelta) -> Countdown:
    """The countdown of a ticket as the API shows it (``due_at`` in ISO form), 'soon' within the SLA window."""
    due = datetime.fromisoformat(ticket["due_at"]) if ticket.get("due_at") else None
    return countdown(due_at=due, status=str(ticket["status"]), now=now, soon_s=window.total_seconds())


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of text, marked or not (``label`` says why it is marked)."""

    text: str
    marked: bool = False
    label: str = ""


def segments(text: str, spans: Iterable[tuple[int, int, str]]) -> list[Segment]:
    """Cut ``text`` into plain and marked pieces; overlapping or out-of-range spans are merged or dropped."""
    valid = sorted((s, e, label) for s, e, label in spans if 0 <= s < e <= len(text))
    out: list[Segment] = []
    pos = 0
    for start, end, label in valid:
        if end <= pos:
            continue
        start = max(start, pos)
        if start > pos:
            out.append(Segment(text[pos:start]))
        out.append(Segment(text[start:end], marked=True, label=label))
        pos = end
    if pos < len(text) or not out:
        out.append(Segment(text[pos:]))
    return out


@dataclass(frozen=True, slots=True)
class Message:
    """A buyer's message with the phrases the classifier weighed marked."""

    occurred_at: str
    subject: str | None
    parts: list[Segment]
    highlighted: int


def _spans(reasons: Sequence[Mapping[str, Any]]) -> list[tuple[int, int, str]]:
    return [
        (int(r["start"]), int(r["end"]), f"{r.get('rule_id', '')}: {r.get('detail', '')}")
        for r in reasons
        if isinstance(r.get("start"), int) and isinstance(r.get("end"), int)
    ]


def messages_of(timeline: Sequence[Mapping[str, Any]]) -> list[Message]:
    """Each signal's text in order, marked with the offsets of the classification that followed it."""
    out: list[Message] = []
    entries = list(timeline)
    for i, entry in enumerate(entries):
        if entry.get("kind") != "signal":
            continue
        pii = entry.get("pii") or {}
        text = pii.get("text") if isinstance(pii, Mapping) else None
        if not isinstance(text, str):
            continue
        verdict = next((e for e in entries[i + 1 :] if e.get("kind") in {"classification", "signal"}), None)
        reasons = (
            (verdict or {}).get("data", {}).get("reasons", [])
            if verdict and verdict["kind"] == "classification"
            else []
        )
        spans = _spans(reasons)
        parts = segments(text, spans)
        out.append(
            Message(
                occurred_at=str(entry.get("occurred_at", "")),
                subject=pii.get("subject") if isinstance(pii.get("subject"), str) else None,
                parts=parts,
                highlighted=sum(1 for p in parts if p.marked),
            )
        )
    return out


def template_choices(
    templates: Iterable[TemplateInfo], *, category: str, language: str | None
) -> list[TemplateInfo]:
    """Templates of the ticket's category or language; its category and language first."""
    lang = language or "en"
    chosen = [t for t in templates if t.category == category or t.language == lang]
    return sorted(chosen, key=lambda t: (t.category != category, t.language != lang, t.template_id))
