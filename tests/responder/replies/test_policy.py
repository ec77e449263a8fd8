"""Reply policy: e-mail for buyer threads, Messaging API for proactive cases, humans for the doubtful ones."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from services.responder.replies.policy import ReplyContext, decide_reply, needs_messaging_actions
from services.responder.settings import ResponderSettings
from shared.events import (
    ComplaintClassified,
    ComplaintSignalReceived,
    Priority,
    SignalKind,
    SignalSource,
    Tag,
)

ORDER = "123-1234567-1234567"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ON = ResponderSettings(auto_reply=True, auto_reply_disabled_categories=[])
ALL_ACTIONS = ("unexpectedProblem", "confirmDeliveryDetails", "sendInvoice")
LOST = ReplyContext(tracking_milestones=("IN_TRANSIT", "LOST"))


def classified(
    kind: SignalKind = SignalKind.BUYER_MESSAGE,
    *,
    category: str = "defective",
    reply_to: str | None = "abc123def456@marketplace.amazon.de",
    priority: Priority = Priority.P3,
    auto_reply: bool = True,
    a_to_z: bool = False,
    tags: tuple[str, ...] = (),
) -> ComplaintClassified:
    base: dict[str, Any] = {
        "occurred_at": NOW,
        "seller_id": "SELLER1",
        "marketplace_id": "A1PA6795UKMFR9",
        "order_id": ORDER,
        "dedup_key": f"k-{kind.value}-{category}",
        "correlation_id": "c-1",
        "source": SignalSource.EMAIL,
    }
    signal = ComplaintSignalReceived(
        event_id=uuid.uuid4(), kind=kind, text="…", reply_to=reply_to, a_to_z_claim=a_to_z, **base
    )
    return ComplaintClassified(
        event_id=uuid.uuid4(),
        signal=signal,
        category=category,
        tags=tuple(Tag(name=t, confidence=0.9) for t in tags),
        confidence=0.9 if auto_reply else 0.3,
        priority=priority,
        model_version="test",
        auto_reply=auto_reply,
        **base,
    )


def test_buyer_message_gets_an_email_reply() -> None:
    d = decide_reply(classified(), available_actions=None, settings=ON, order_context=None)
    assert (d.action, d.channel, d.category, d.trigger, d.reasons) == (
        "send", "email", "defective", "buyer_message", ("buyer_message",),
    )  # fmt: skip
    assert not needs_messaging_actions(classified(), order_context=None)


def test_buyer_message_without_reply_address_goes_to_a_human() -> None:
    d = decide_reply(classified(reply_to=None), available_actions=None, settings=ON, order_context=None)
    assert (d.action, d.channel, d.reasons) == ("escalate", "email", ("no_reply_address",))


@pytest.mark.parametrize(
    "reply_to",
    [
        "attacker@evil.example",
        "abc123def456@marketplace.amazon.com",  # a relay alias, but of another marketplace than the complaint's
        "abc123def456@marketplace.amazon.de.evil.example",
    ],
)
def test_buyer_message_whose_reply_address_is_no_relay_alias_of_its_marketplace_goes_to_a_human(
    reply_to: str,
) -> None:
    d = decide_reply(classified(reply_to=reply_to), available_actions=None, settings=ON, order_context=None)
    assert (d.action, d.reasons) == ("escalate", ("no_reply_address",))


def test_buyer_message_from_another_alias_than_the_tickets_goes_to_a_human() -> None:
    ctx = ReplyContext(alias_changed=True)
    d = decide_reply(classified(), available_actions=None, settings=ON, order_context=ctx)
    assert (d.action, d.channel, d.reasons) == ("escalate", "email", ("buyer_alias_changed",))


def test_buyer_message_that_fits_no_category_gets_a_generic_draft() -> None:
    d = decide_reply(classified(category="none"), available_actions=None, settings=ON, order_context=None)
    assert (d.action, d.channel, d.category, d.reasons) == ("escalate", "email", "none", ("category_none",))


@pytest.mark.parametrize(
    ("kwargs", "settings", "reason", "draft"),
    [
        ({"tags": ("abusive_returner",)}, ON, "abusive_returner", "escalation"),
        ({"auto_reply": False}, ON, "low_confidence", "escalation"),
        ({}, ResponderSettings(auto_reply=False), "auto_reply_disabled", "defective"),
        ({}, ResponderSettings(auto_reply_disabled_categories=["defective"]), "category_auto_reply_disabled",
         "defective"),
        ({"a_to_z": True, "priority": Priority.P1}, ON, "a_to_z_p1", "escalation"),
    ],
)  # fmt: skip
def test_holds_escalate_with_a_draft(
    kwargs: dict[str, Any], settings: ResponderSettings, reason: str, draft: str
) -> None:
    d = decide_reply(classified(**kwargs), available_actions=None, settings=settings, order_context=None)
    assert (d.action, d.channel, d.category) == ("escalate", "email", draft)
    assert reason in d.reasons


def test_other_categories_still_send_when_one_is_disabled() -> None:
    settings = ResponderSettings(auto_reply_disabled_categories=["not_received"])
    d = decide_reply(classified(), available_actions=None, settings=settings, order_context=None)
    assert d.action == "send"


def test_lost_parcel_prefers_unexpected_problem() -> None:
    c = classified(SignalKind.OTHER_NOTICE, category="not_received", reply_to=None)
    assert needs_messaging_actions(c, order_context=LOST)
    d = decide_reply(c, available_actions=ALL_ACTIONS, settings=ON, order_context=LOST)
    assert (d.action, d.channel, d.category, d.trigger) == (
        "send", "messaging:unexpectedProblem", "not_received", "tracking_lost",
    )  # fmt: skip


def test_lost_parcel_falls_back_to_confirm_delivery_details() -> None:
    c = classified(SignalKind.OTHER_NOTICE, category="not_received", reply_to=None)
    d = decide_reply(c, available_actions=["confirmDeliveryDetails"], settings=ON, order_context=LOST)
    assert (d.action, d.channel) == ("send", "messaging:confirmDeliveryDetails")


def test_defective_return_needs_unexpected_problem() -> None:
    c = classified(SignalKind.RETURN_REPORT_ROW, reply_to=None)
    ok = decide_reply(c, available_actions=["unexpectedProblem"], settings=ON, order_context=None)
    assert (ok.action, ok.channel, ok.trigger) == ("send", "messaging:unexpectedProblem", "defective_return")
    # confirmDeliveryDetails does not fit a defect
    none = decide_reply(c, available_actions=["confirmDeliveryDetails"], settings=ON, order_context=None)
    assert (none.action, none.reasons) == ("escalate", ("no_messaging_action",))
    unknown = decide_reply(c, available_actions=None, settings=ON, order_context=None)
    assert (unknown.action, unknown.reasons) == ("escalate", ("messaging_actions_unknown",))


def test_a_to_z_on_a_return_row() -> None:
    p2 = classified(SignalKind.RETURN_REPORT_ROW, category="not_received", reply_to=None, a_to_z=True,
                    priority=Priority.P2)  # fmt: skip
    d = decide_reply(p2, available_actions=ALL_ACTIONS, settings=ON, order_context=None)
    assert (d.action, d.channel, d.trigger) == ("send", "messaging:unexpectedProblem", "a_to_z_return")
    p1 = classified(SignalKind.A_TO_Z_CLAIM, category="not_received", reply_to=None, priority=Priority.P1)
    d1 = decide_reply(p1, available_actions=ALL_ACTIONS, settings=ON, order_context=None)
    assert (d1.action, d1.category, d1.reasons) == ("escalate", "escalation", ("a_to_z_p1",))


def test_one_proactive_message_per_order() -> None:
    c = classified(SignalKind.RETURN_REPORT_ROW, reply_to=None)
    ctx = ReplyContext(proactive_messages_sent=1)
    d = decide_reply(c, available_actions=ALL_ACTIONS, settings=ON, order_context=ctx)
    assert (d.action, d.reasons) == ("escalate", ("proactive_already_sent",))


@pytest.mark.parametrize(
    ("kind", "category", "ctx", "reason"),
    [
        (SignalKind.REFUND_ISSUED, "none", None, "no_trigger"),
        (SignalKind.BUYER_OPTED_OUT, "none", None, "no_trigger"),
        (SignalKind.RETURN_REPORT_ROW, "not_as_described", None, "no_trigger"),
        (
            SignalKind.OTHER_NOTICE,
            "not_received",
            ReplyContext(tracking_milestones=("DELIVERED",)),
            "no_trigger",
        ),
        (SignalKind.FEEDBACK_REPORT_ROW, "none", None, "no_trigger"),
    ],
)
def test_nothing_to_say(kind: SignalKind, category: str, ctx: ReplyContext | None, reason: str) -> None:
    d = decide_reply(classified(kind, category=category, reply_to=None), available_actions=ALL_ACTIONS,
                     settings=ON, order_context=ctx)  # fmt: skip
    assert (d.action, d.channel, d.reasons) == ("no_reply", None, (reason,))


def test_negative_feedback_always_goes_to_a_human() -> None:
    c = classified(SignalKind.FEEDBACK_REPORT_ROW, reply_to=None)
    assert not needs_messaging_actions(c, order_context=None)
    d = decide_reply(c, available_actions=ALL_ACTIONS, settings=ON, order_context=None)
    assert (d.action, d.trigger, d.reasons) == ("escalate", "negative_feedback", ("feedback_needs_human",))
