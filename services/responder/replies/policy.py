"""Reply policy: send, escalate with a prepared draft, or stay silent; a pure decision on one complaint.

Triggers (``ReplyDecision.trigger``):
- ``buyer_message``: the buyer wrote through the relay; answer by e-mail to ``signal.reply_to``, only when it
  is a relay alias of the complaint's marketplace (``shared.relay``) and the ticket's stored alias is the same.
- ``tracking_lost``: category not_received and the carrier reports LOST, DAMAGED or destroyed.
- ``defective_return``: a return report row or return notice with category defective.
- ``a_to_z_return`` / ``a_to_z_claim``: an A-to-z flag on a return row, or Amazon's A-to-z notice.
- ``negative_feedback``: a feedback report row (always for a human: feedback talk is easily manipulation).
Proactive triggers use a Messaging API action that getMessagingActionsForOrder listed: unexpectedProblem,
else confirmDeliveryDetails for delivery problems. Call it first when ``needs_messaging_actions`` says so.

Reason codes: ``auto_reply_disabled``, ``category_auto_reply_disabled``, ``abusive_returner`` (a tag of that
name), ``low_confidence`` (``classified.auto_reply`` False), ``a_to_z_p1``, ``proactive_already_sent``,
``category_none``, ``no_reply_address``, ``buyer_alias_changed`` (a later message on the thread came from
another alias than the stored one), ``messaging_actions_unknown``, ``no_messaging_action``,
``feedback_needs_human``, ``no_trigger``. A send carries its trigger as the only reason.

Escalations name the channel and template category of the draft a human reviews: ``escalation`` when the
complaint itself is doubtful (abuse, low confidence, P1 A-to-z), else the complaint's own category.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from services.responder.settings import ResponderSettings
from shared.events import ComplaintClassified, Priority, SignalKind
from shared.relay import reply_target

__all__ = ["LOST_MILESTONES", "ReplyContext", "ReplyDecision", "decide_reply", "needs_messaging_actions"]

LOST_MILESTONES = frozenset({"LOST", "DAMAGED", "UNDELIVERABLE_DESTROY_IN_FIELD"})
"""Tracking milestones after which the parcel will not arrive as sent."""

_RETURN_KINDS = frozenset({SignalKind.RETURN_REPORT_ROW, SignalKind.RETURN_REQUEST})
_DOUBTFUL = frozenset({"abusive_returner", "low_confidence", "a_to_z_p1"})
_DELIVERY_TRIGGERS = frozenset({"tracking_lost"})
_EMAIL = "email"
_UNEXPECTED = "messaging:unexpectedProblem"

Action = Literal["send", "escalate", "no_reply"]


@dataclass(frozen=True, slots=True)
class ReplyContext:
    """What the responder knows about the order besides the complaint."""

    tracking_milestones: tuple[str, ...] = ()
    proactive_messages_sent: int = 0
    alias_changed: bool = False
    """The ticket already has another buyer alias than this message's: a human decides, nobody is answered."""


@dataclass(frozen=True, slots=True)
class ReplyDecision:
    """What to do: the action, the channel and template category of the (draft) reply, and why."""

    action: Action
    channel: str | None
    category: str | None
    trigger: str | None
    reasons: tuple[str, ...]


def _trigger(classified: ComplaintClassified, ctx: ReplyContext) -> str | None:
    signal = classified.signal
    if signal.kind is SignalKind.BUYER_MESSAGE:
        return "buyer_message"
    if signal.kind is SignalKind.A_TO_Z_CLAIM:
        return "a_to_z_claim"
    if signal.kind in _RETURN_KINDS and signal.a_to_z_claim:
        return "a_to_z_return"
    if signal.kind in _RETURN_KINDS and classified.category == "defective":
        return "defective_return"
    if classified.category == "not_received" and LOST_MILESTONES.intersection(ctx.tracking_milestones):
        return "tracking_lost"
    if signal.kind is SignalKind.FEEDBACK_REPORT_ROW and classified.category != "none":
        return "negative_feedback"
    return None


def needs_messaging_actions(classified: ComplaintClassified, *, order_context: ReplyContext | None) -> bool:
    """True when the decision depends on getMessagingActionsForOrder (a proactive trigger)."""
    trigger = _trigger(classified, order_context or ReplyContext())
    return trigger not in (None, "buyer_message", "negative_feedback")


def _holds(classified: ComplaintClassified, settings: ResponderSettings, proactive_sent: bool) -> list[str]:
    signal = classified.signal
    holds = []
    if not settings.auto_reply:
        holds.append("auto_reply_disabled")
    if classified.category in settings.auto_reply_disabled_categories:
        holds.append("category_auto_reply_disabled")
    if any(tag.name == "abusive_returner" for tag in classified.tags):
        holds.append("abusive_returner")
    if not classified.auto_reply:
        holds.append("low_confidence")
    if classified.priority is Priority.P1 and (signal.kind is SignalKind.A_TO_Z_CLAIM or signal.a_to_z_claim):
        holds.append("a_to_z_p1")
    if proactive_sent:
        holds.append("proactive_already_sent")
    return holds


def _messaging_channel(trigger: str, available: Sequence[str]) -> str | None:
    names = {name.rsplit(":", 1)[-1].lower() for name in available}
    if "unexpectedproblem" in names:
        return _UNEXPECTED
    if trigger in _DELIVERY_TRIGGERS and "confirmdeliverydetails" in names:
        return "messaging:confirmDeliveryDetails"
    return None


def decide_reply(
    classified: ComplaintClassified,
    *,
    available_actions: Sequence[str] | None,
    settings: ResponderSettings,
    order_context: ReplyContext | None,
) -> ReplyDecision:
    """Decide how to answer one classified complaint (``available_actions``: getMessagingActionsForOrder)."""
    ctx = order_context or ReplyContext()
    trigger = _trigger(classified, ctx)
    category = classified.category
    if trigger is None:
        return ReplyDecision("no_reply", None, None, None, ("no_trigger",))
    if category == "none" and trigger not in ("buyer_message", "a_to_z_claim", "a_to_z_return"):
        return ReplyDecision("no_reply", None, None, trigger, ("category_none",))

    proactive = trigger != "buyer_message"
    holds = _holds(classified, settings, proactive and ctx.proactive_messages_sent > 0)
    if category == "none" and trigger == "buyer_message":
        holds.append("category_none")
    if trigger == "negative_feedback":
        holds.append("feedback_needs_human")

    channel: str | None
    if trigger == "buyer_message":
        channel = _EMAIL
        if reply_target(classified.signal.reply_to, marketplace_id=classified.marketplace_id) is None:
            holds.append("no_reply_address")
        if ctx.alias_changed:
            holds.append("buyer_alias_changed")
    elif trigger == "negative_feedback":
        channel = _UNEXPECTED
    elif available_actions is None:
        channel = _UNEXPECTED
        holds.append("messaging_actions_unknown")
    else:
        found = _messaging_channel(trigger, available_actions)
        channel = found or _UNEXPECTED
        if found is None:
            holds.append("no_messaging_action")

    if holds:
        draft = "escalation" if _DOUBTFUL.intersection(holds) else category
        return ReplyDecision("escalate", channel, draft, trigger, tuple(holds))
    return ReplyDecision("send", channel, category, trigger, (trigger,))
