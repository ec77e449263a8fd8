"""The linter: run every rule on a draft reply for a channel and collect violations."""

from __future__ import annotations

from collections.abc import Mapping

from services.responder.replies.compliance.channels import UnknownChannelError, policy_for
from services.responder.replies.compliance.model import ChannelPolicy, LintResult, Violation
from services.responder.replies.compliance.rules import FIELD_RULES, TEXT_RULES, Checked

__all__ = ["lint"]


def lint(
    text: str,
    *,
    channel: str,
    locale: str | None,
    order_id: str | None = None,
    subject: str | None = None,
    policies: Mapping[str, ChannelPolicy] | None = None,
) -> LintResult:
    """Check a draft against Amazon's messaging rules for ``channel``; ok only with no violation."""
    try:
        policy = policy_for(channel, policies)
    except UnknownChannelError:
        v = Violation("channel.unknown", f"unknown channel {channel!r}", 0, 0, "")
        return LintResult(ok=False, violations=(v,))
    if not policy.text_allowed:
        v = Violation(
            "channel.text_not_allowed", f"{channel} carries attachments only", 0, len(text), text[:80]
        )
        return LintResult(ok=False, violations=(v,))
    if not text.strip():
        return LintResult(ok=False, violations=(Violation("text.empty", "empty text", 0, len(text), ""),))
    body = Checked(text, "text", policy, locale, order_id, subject)
    violations: list[Violation] = []
    for rule in FIELD_RULES + TEXT_RULES:
        violations.extend(rule(body))
    if subject:
        head = Checked(subject, "subject", policy, locale, order_id, None)
        for rule in FIELD_RULES:
            violations.extend(rule(head))
    violations.sort(key=lambda v: (v.field != "text", v.start, v.rule_id))
    return LintResult(ok=not violations, violations=tuple(violations))
