"""Value types of the compliance linter: violations, results and per-channel policies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["ChannelPolicy", "LinkRule", "LintResult", "Violation"]

Field = Literal["text", "subject"]


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: its stable id, a human message and the offending span of the checked field.

    ``excerpt`` is the offending text itself (it may be a buyer's phone number or e-mail address): for the
    process that linted only. What is stored or answered is ``as_dict()``: rule id, message and offsets.
    """

    rule_id: str
    message: str
    start: int
    end: int
    excerpt: str
    field: Field = "text"

    def as_dict(self, *, excerpt: bool = False) -> dict[str, object]:
        """JSON-ready form, stored with drafts and answered by the API: no excerpt unless asked for (only
        the local CLI asks, on the operator's own file)."""
        doc: dict[str, object] = {
            "rule_id": self.rule_id,
            "message": self.message,
            "start": self.start,
            "end": self.end,
            "field": self.field,
        }
        if excerpt:
            doc["excerpt"] = self.excerpt
        return doc


@dataclass(frozen=True, slots=True)
class LintResult:
    """The verdict on one draft: ok only when there is no violation."""

    ok: bool
    violations: tuple[Violation, ...]

    @property
    def rule_ids(self) -> frozenset[str]:
        """The distinct rule ids that fired."""
        return frozenset(v.rule_id for v in self.violations)


@dataclass(frozen=True, slots=True)
class LinkRule:
    """Links to ``host_suffix`` (the host itself or a subdomain) are allowed under these path prefixes.

    An empty ``path_prefixes`` allows any path. A bare mention of the host (no path) is always allowed.
    """

    name: str
    host_suffixes: tuple[str, ...]
    path_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChannelPolicy:
    """What one channel allows: text length, links, and whether the order id must be quoted."""

    channel: str
    max_length: int
    text_allowed: bool = True
    proactive: bool = False
    order_id_required: bool = True
    link_rules: tuple[LinkRule, ...] = field(default=())
