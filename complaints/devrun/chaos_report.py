"""What the campaign did to the data: outcomes per input from the database, the topics, SMTP and the stand-in.

The pure part (``tally``) takes plain records, so it is tested without a running system; the readers fetch
those records from the real parts once the system drained.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from complaints.devrun.chaos_faults import Injected
from complaints.devrun.chaos_load import ChaosInput

__all__ = ["DeadLetter", "Reply", "Report", "format_report", "tally"]

_RELAY = re.compile(r"^[^@\s]+@marketplace\.amazon\.[a-z.]+$", re.IGNORECASE)
_ORDER = re.compile(r"\b\d{3}-\d{7}-\d{7}\b")
_REPORT_MARKER = re.compile(r"chaos-report-(\d+)")


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A record of a rejected or dead-letter topic: where, why, and the text it carries."""

    topic: str
    error: str
    text: str


@dataclass(frozen=True, slots=True)
class Reply:
    """Something a buyer received: an e-mail (SMTP) or a Messaging API message (stand-in)."""

    channel: str
    recipients: tuple[str, ...]
    text: str  # where the order id is found (subject, headers, body, or the order of a Messaging call)
    at: float  # epoch seconds


@dataclass
class Report:
    """The campaign's figures; ``violations`` lists the invariants that broke."""

    inputs: Counter[str] = field(default_factory=Counter)
    tickets: int = 0
    order_contexts: int = 0
    dead_letters: Counter[str] = field(default_factory=Counter)  # "topic  error" -> count
    rejected: Counter[str] = field(default_factory=Counter)
    lost: list[str] = field(default_factory=list)  # "kind order_id"
    messaged_twice: list[str] = field(default_factory=list)
    unknown_outcomes: int = 0
    outbox: Counter[str] = field(default_factory=Counter)
    spoofed_replies: list[str] = field(default_factory=list)
    replies_to_failed_verdicts: int = 0
    unattributed_replies: int = 0
    crashes: list[str] = field(default_factory=list)
    recovery: list[tuple[str, str, str]] = field(default_factory=list)  # kind, recovered in, detail
    baseline_latency_s: float | None = None
    drained: bool = True
    offsets_behind: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def violations(self) -> list[str]:
        """Broken invariants: lost inputs, buyers messaged twice, replies to non-relay addresses."""
        out = []
        if self.lost:
            out.append(f"{len(self.lost)} inputs lost")
        if self.messaged_twice:
            out.append(f"{len(self.messaged_twice)} buyers messaged twice")
        if self.spoofed_replies:
            out.append(f"{len(self.spoofed_replies)} replies to non-relay addresses")
        return out


def _orders_in(text: str) -> set[str]:
    return set(_ORDER.findall(text))


def _owner(text: str, by_order: Mapping[str, ChaosInput], by_report: Mapping[str, ChaosInput]) -> set[str]:
    found = {order for order in _orders_in(text) if order in by_order}
    found |= {by_report[r].order_id for r in _REPORT_MARKER.findall(text) if r in by_report}
    return found


def tally(
    *,
    fed: Sequence[tuple[ChaosInput, float]],
    ticket_created: Mapping[str, float],
    order_contexts: Iterable[str],
    outbox_statuses: Iterable[str],
    dead_letters: Sequence[DeadLetter],
    rejected_topic: str,
    replies: Sequence[Reply],
    injected: Sequence[Injected],
    smtp_fault_hits: Sequence[float],
    crashes: Sequence[str] = (),
    ready_again: Sequence[tuple[str, float]] = (),
) -> Report:
    """Compute the report from plain records (``ticket_created``: order id -> epoch of its ticket;
    ``ready_again``: service instance and the epoch it answered /readyz after a restart)."""
    report = Report()
    by_order = {item.order_id: item for item, _ in fed}
    by_report = {item.report_id: item for item, _ in fed if item.report_id is not None}
    report.inputs = Counter(item.kind for item, _ in fed)
    report.tickets = sum(1 for order in ticket_created if order in by_order)
    contexts = set(order_contexts) & set(by_order)
    report.order_contexts = len(contexts)
    report.outbox = Counter(outbox_statuses)
    report.unknown_outcomes = report.outbox.get("unknown", 0)
    report.crashes = list(crashes)

    dead: set[str] = set()
    for letter in dead_letters:
        bucket = report.rejected if letter.topic == rejected_topic else report.dead_letters
        label = letter.error if letter.topic == rejected_topic else f"{letter.topic}  {letter.error}"
        bucket[label] += 1
        dead |= _owner(letter.text, by_order, by_report)

    for item, _ in fed:
        kept = item.order_id in ticket_created or item.order_id in dead
        if item.expects_order_context:
            kept = item.order_id in contexts or item.order_id in dead
        if not kept:
            report.lost.append(f"{item.kind} {item.order_id}")

    per_order: defaultdict[str, int] = defaultdict(int)
    for reply in replies:
        owners = _owner(reply.text, by_order, by_report)
        if not owners:
            report.unattributed_replies += 1
        for order in owners:
            per_order[order] += 1
            if by_order[order].kind == "spoof_verdict":
                report.replies_to_failed_verdicts += 1
        if reply.channel == "email":
            bad = [r for r in reply.recipients if not _RELAY.match(r)]
            if bad:
                report.spoofed_replies.append(f"{', '.join(bad)} (orders {', '.join(sorted(owners)) or '?'})")
    report.messaged_twice = [f"{order} x{n}" for order, n in sorted(per_order.items()) if n > 1]

    latencies = [
        ticket_created[item.order_id] - sent
        for item, sent in fed
        if item.expects_ticket and item.order_id in ticket_created
    ]
    report.baseline_latency_s = statistics.median(latencies) if latencies else None
    report.recovery = _recovery(fed, ticket_created, replies, injected, smtp_fault_hits, ready_again)
    return report


def _recovery(
    fed: Sequence[tuple[ChaosInput, float]],
    ticket_created: Mapping[str, float],
    replies: Sequence[Reply],
    injected: Sequence[Injected],
    smtp_fault_hits: Sequence[float],
    ready_again: Sequence[tuple[str, float]],
) -> list[tuple[str, str, str]]:
    """Per fault: from injection until the pipeline made progress again.

    Progress is the first ticket of an input fed after the injection; for SMTP faults the first e-mail
    delivered after the faulted one; for SP-API faults the first Messaging API message after the injection.
    A killed service also gets the time until it answered /readyz again.
    """
    rows = []
    smtp_hits = iter(sorted(smtp_fault_hits))
    for fault in sorted(injected, key=lambda f: f.started):
        t0 = fault.started
        if fault.kind.startswith("smtp_"):
            hit = next(smtp_hits, None)
            later = [r.at for r in replies if r.channel == "email" and hit is not None and r.at > hit + 0.01]
            what = "next e-mail delivered" if hit is not None else "fault never hit (no mail after it)"
        elif fault.kind.startswith("spapi_"):
            later = [r.at for r in replies if r.channel == "messaging" and r.at > t0]
            what = "next Messaging API send"
        else:
            later = [
                ticket_created[item.order_id]
                for item, sent in fed
                if sent >= t0 and item.expects_ticket and item.order_id in ticket_created
            ]
            what = "first ticket of an input fed after it"
        if fault.kind.startswith("kill_"):
            name = fault.kind.removeprefix("kill_")
            back = [at for instance, at in ready_again if instance == name and at > t0]
            what += f"; ready again after {min(back) - t0:.1f}s" if back else "; never ready again"
        took = f"{min(later) - t0:6.1f}s" if later else "   none"
        rows.append((fault.kind, took, f"{what}; {fault.detail}"))
    return rows


def format_report(report: Report, *, seed: int, duration: float) -> str:
    """The table the campaign prints."""
    lines = [
        f"fault campaign  seed={seed}  load={duration:.0f}s  drained={'yes' if report.drained else 'NO'}"
    ]

    def row(name: str, value: object, mark: str = "") -> None:
        lines.append(f"  {name:<44} {value!s:>8}  {mark}")

    lines.append("inputs")
    for kind, n in sorted(report.inputs.items()):
        row(kind, n)
    row("total", sum(report.inputs.values()))
    lines.append("outcomes")
    row("tickets (of campaign inputs)", report.tickets)
    row("order contexts kept", report.order_contexts)
    for label, n in sorted(report.dead_letters.items()):
        row(f"DLQ {label}", n)
    for label, n in sorted(report.rejected.items()):
        row(f"rejected {label}", n)
    for status, n in sorted(report.outbox.items()):
        row(f"outbox {status}", n)
    row("unknown outcomes", report.unknown_outcomes)
    row("replies to mails failing SES verdicts", report.replies_to_failed_verdicts)
    row("replies no input can be traced to", report.unattributed_replies)
    row("service exits not caused by a fault", len(report.crashes))
    row("partitions listed below their committed offset", len(report.offsets_behind))
    latency = f"{report.baseline_latency_s:.1f}s" if report.baseline_latency_s is not None else "-"
    row("median input -> ticket", latency)
    lines.append("invariants")
    lost = "lost" if report.drained else "lost, or still queued (not drained)"
    row(lost, len(report.lost), "FAIL" if report.lost else "ok")
    row("buyers messaged twice", len(report.messaged_twice), "FAIL" if report.messaged_twice else "ok")
    row("spoofed replies", len(report.spoofed_replies), "FAIL" if report.spoofed_replies else "ok")
    lines.append("time to recover per fault (until an input fed after it has its ticket, backlog included)")
    for kind, took, detail in report.recovery:
        lines.append(f"  {kind:<24} {took}  {detail}")
    for title, items in (
        ("lost inputs", report.lost),
        ("messaged twice", report.messaged_twice),
        ("spoofed replies", report.spoofed_replies),
        ("service exits not caused by a fault", report.crashes),
        (
            "broker lists a log end below committed offsets (stale ListOffsets after a restart)",
            report.offsets_behind,
        ),
        ("notes", report.notes),
    ):
        if items:
            lines.append(f"{title}:")
            lines.extend(f"  {item}" for item in items[:30])
            if len(items) > 30:
                lines.append(f"  ... {len(items) - 30} more")
    return "\n".join(lines)
