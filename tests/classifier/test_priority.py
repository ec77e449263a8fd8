"""Priority points, the SLA clock (calendar hours, weekends included, restart-safe) and ageing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from services.classifier.domain import Category, OrderContext
from services.classifier.priority import PriorityDecision, assess_priority, high_value_threshold
from services.classifier.settings import ClassifierSettings
from shared.events import Priority, SignalKind

SETTINGS = ClassifierSettings()
FRIDAY_EVENING = datetime(2026, 3, 6, 18, 30, tzinfo=UTC)  # a Friday


def _assess(
    *,
    kind: SignalKind = SignalKind.BUYER_MESSAGE,
    category: Category = "none",
    occurred_at: datetime = FRIDAY_EVENING,
    now: datetime | None = None,
    settings: ClassifierSettings = SETTINGS,
    **kw: Any,
) -> PriorityDecision:
    args: dict[str, Any] = {
        "a_to_z_claim": False,
        "chargeback": None,
        "a_to_z_mention": None,
        "marketplace_id": None,
        "amount": None,
        "currency": None,
        "feedback_rating": None,
        "context": None,
    }
    args.update(kw)
    return assess_priority(
        kind=kind,
        occurred_at=occurred_at,
        category=category,
        now=now or occurred_at + timedelta(minutes=5),
        settings=settings,
        **args,
    )


def test_buyer_message_clock_runs_through_the_weekend() -> None:
    decision = _assess()
    assert decision.due_at == datetime(2026, 3, 7, 18, 30, tzinfo=UTC)  # Saturday, not Monday
    assert decision.due_at.weekday() == 5


def test_clock_starts_at_the_message_not_at_processing_time() -> None:
    first = _assess(now=FRIDAY_EVENING + timedelta(minutes=1))
    after_restart = _assess(now=FRIDAY_EVENING + timedelta(hours=9))
    assert first.due_at == after_restart.due_at


def test_each_new_buyer_message_restarts_the_clock() -> None:
    follow_up = FRIDAY_EVENING + timedelta(hours=30)
    assert _assess(occurred_at=follow_up).due_at == follow_up + timedelta(hours=24)


def test_clock_length_comes_from_settings() -> None:
    custom = ClassifierSettings(buyer_message_sla_hours=12, a_to_z_sla_hours=48)
    assert _assess(settings=custom).due_at == FRIDAY_EVENING + timedelta(hours=12)
    claim = _assess(kind=SignalKind.A_TO_Z_CLAIM, settings=custom)
    assert claim.due_at == FRIDAY_EVENING + timedelta(hours=48)


@pytest.mark.parametrize(
    ("kind", "flag", "chargeback"),
    [
        (SignalKind.A_TO_Z_CLAIM, False, None),
        (SignalKind.RETURN_REPORT_ROW, True, None),
        (SignalKind.BUYER_MESSAGE, False, "chargeback"),
    ],
)
def test_claims_and_chargebacks_are_p1_with_a_72_hour_clock(
    kind: SignalKind, flag: bool, chargeback: str | None
) -> None:
    decision = _assess(kind=kind, a_to_z_claim=flag, chargeback=chargeback)
    assert decision.priority is Priority.P1
    assert decision.claim
    assert decision.due_at == FRIDAY_EVENING + timedelta(hours=72)


def test_notices_without_a_reply_duty_have_no_clock() -> None:
    assert _assess(kind=SignalKind.REFUND_ISSUED).due_at is None
    assert _assess(kind=SignalKind.RETURN_REPORT_ROW).due_at is None


def test_points_map_to_priorities() -> None:
    assert _assess(category="none").priority is Priority.P4
    assert _assess(category="not_as_described").priority is Priority.P3
    assert _assess(category="defective").priority is Priority.P3
    at_risk = OrderContext(account_status="AT_RISK")
    assert _assess(category="defective", context=at_risk).priority is Priority.P2
    stacked = OrderContext(account_status="AT_RISK", prior_contacts=3, fulfillment_type="MFN")
    assert _assess(category="not_received", context=stacked).priority is Priority.P1


def test_high_value_uses_the_marketplace_threshold() -> None:
    us, jp = "ATVPDKIKX0DER", "A1VC38T7YXB528"
    assert high_value_threshold(us, "USD") == Decimal(50)
    assert high_value_threshold(jp, None) == Decimal(7500)
    assert high_value_threshold(None, "GBP") == Decimal(40)
    assert high_value_threshold(None, "XYZ") is None
    cheap = _assess(category="defective", marketplace_id=jp, amount=Decimal(3000), currency="JPY")
    pricey = _assess(category="defective", marketplace_id=jp, amount=Decimal(9800), currency="JPY")
    assert (cheap.priority, pricey.priority) == (Priority.P3, Priority.P2)
    assert any(r.rule_id == "priority.high_value" for r in pricey.reasons)


def test_repeat_contacts_raise_priority() -> None:
    once = _assess(category="not_as_described", context=OrderContext(prior_contacts=1))
    often = _assess(category="not_as_described", context=OrderContext(prior_contacts=4))
    assert (once.priority, often.priority) == (Priority.P3, Priority.P2)
    assert [r.weight for r in often.reasons if r.rule_id == "priority.repeat_contact"] == [2]


def test_ageing_flag_after_45_days_from_first_contact() -> None:
    first = FRIDAY_EVENING - timedelta(days=45)
    context = OrderContext(first_contact_at=first)
    assert _assess(context=context, now=FRIDAY_EVENING).ageing
    younger = OrderContext(first_contact_at=first + timedelta(minutes=1))
    assert not _assess(context=younger, now=FRIDAY_EVENING).ageing
    old_signal = _assess(occurred_at=FRIDAY_EVENING, now=FRIDAY_EVENING + timedelta(days=46))
    assert old_signal.ageing
    assert any(r.rule_id == "priority.ageing" for r in old_signal.reasons)
