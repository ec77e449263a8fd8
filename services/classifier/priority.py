"""Priority (P1..P4), the reply deadline (SLA clock) and the ageing flag.

Scoring:

* **P1 outright**: an A-to-z claim (notice kind ``a_to_z_claim`` or the returns-report flag) or chargeback
  language in the buyer's words. The clock is ``a_to_z_sla_hours`` (72 h) from the signal time.
* Otherwise points are summed:

  ==============================================  ======
  condition                                       points
  ==============================================  ======
  category not_received or defective (risky)      +2
  category not_as_described                       +1
  order value >= marketplace threshold            +1
  repeat contact (1-2 earlier signals / >= 3)     +1 / +2
  seller account AT_RISK                          +2
  MFN order and not_received (seller ships)       +1
  buyer mentions the A-to-z Guarantee             +2
  feedback row rated 1-2 stars                    +1
  ageing (open past ``ageing_days``)              +1
  ==============================================  ======

  and mapped: >= 6 -> P1, 3-5 -> P2, 1-2 -> P3, 0 -> P4.
* **Clock**: buyer messages, return and cancellation requests are due ``buyer_message_sla_hours`` (24)
  calendar hours after the signal's own time, weekends and nights included (Amazon counts calendar hours).
  Because the clock starts at ``occurred_at`` and never at processing time, reprocessing after a restart
  yields the same deadline, and every new buyer message starts its own clock. Refunds, opt-outs and report
  rows carry no clock unless they are A-to-z claims.
* **Ageing**: a case first seen ``ageing_days`` (45) or more before ``now`` is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from services.classifier.domain import Category, OrderContext
from services.classifier.settings import ClassifierSettings
from shared.events import Priority, Reason, SignalKind

__all__ = [
    "CURRENCY_THRESHOLDS",
    "MARKETPLACE_THRESHOLDS",
    "PriorityDecision",
    "assess_priority",
    "high_value_threshold",
]

# Roughly 50 USD in each marketplace's currency, rounded to a number a seller would pick.
MARKETPLACE_THRESHOLDS: dict[str, tuple[str, Decimal]] = {
    "ATVPDKIKX0DER": ("USD", Decimal(50)),  # US
    "A2EUQ1WTGCTBG2": ("CAD", Decimal(70)),  # CA
    "A1AM78C64UM0Y8": ("MXN", Decimal(900)),  # MX
    "A2Q3Y263D00KWC": ("BRL", Decimal(250)),  # BR
    "A1F83G8C2ARO7P": ("GBP", Decimal(40)),  # UK
    "A1PA6795UKMFR9": ("EUR", Decimal(45)),  # DE
    "A13V1IB3VIYZZH": ("EUR", Decimal(45)),  # FR
    "APJ6JRA9NG5V4": ("EUR", Decimal(45)),  # IT
    "A1RKKUPIHCS9HS": ("EUR", Decimal(45)),  # ES
    "A1805IZSGTT6HS": ("EUR", Decimal(45)),  # NL
    "AMEN7PMS3EDWL": ("EUR", Decimal(45)),  # BE
    "A1C3SOZRARQ6R3": ("PLN", Decimal(200)),  # PL
    "A2NODRKZP88ZB9": ("SEK", Decimal(500)),  # SE
    "A33AVAJ2PDY3EV": ("TRY", Decimal(1500)),  # TR
    "A21TJRUUN4KGV": ("INR", Decimal(4000)),  # IN
    "A1VC38T7YXB528": ("JPY", Decimal(7500)),  # JP
    "AAHKV2X7AFYLW": ("CNY", Decimal(350)),  # CN
    "A39IBJ37TRP1C6": ("AUD", Decimal(75)),  # AU
    "A19VAU5U5O7RUS": ("SGD", Decimal(65)),  # SG
    "A2VIGQ35RCS4UG": ("AED", Decimal(180)),  # AE
    "A17E79C6D8DWNP": ("SAR", Decimal(190)),  # SA
    "ARBP9OOSHTCHU": ("EGP", Decimal(2400)),  # EG
}
CURRENCY_THRESHOLDS: dict[str, Decimal] = dict(MARKETPLACE_THRESHOLDS.values())
_CLOCKED_KINDS = frozenset(
    {SignalKind.BUYER_MESSAGE, SignalKind.RETURN_REQUEST, SignalKind.CANCELLATION_REQUEST}
)


@dataclass(frozen=True, slots=True)
class PriorityDecision:
    """Priority, deadline, ageing flag and the reasons behind them."""

    priority: Priority
    due_at: datetime | None
    ageing: bool
    claim: bool  # an A-to-z claim or chargeback: never auto-replied
    reasons: tuple[Reason, ...]


def high_value_threshold(marketplace_id: str | None, currency: str | None) -> Decimal | None:
    """The order value above which priority rises, in ``currency`` (None if the currency is unknown)."""
    if marketplace_id in MARKETPLACE_THRESHOLDS:
        cur, amount = MARKETPLACE_THRESHOLDS[marketplace_id]
        if currency is None or currency.upper() == cur:
            return amount
    return CURRENCY_THRESHOLDS.get((currency or "").upper())


def _points(
    *,
    category: Category,
    amount: Decimal | None,
    currency: str | None,
    marketplace_id: str | None,
    context: OrderContext | None,
    a_to_z_mention: str | None,
    feedback_rating: int | None,
    ageing: bool,
) -> list[Reason]:
    out: list[Reason] = []
    if category in ("not_received", "defective"):
        out.append(Reason(rule_id="priority.risky_category", detail=category, weight=2))
    elif category == "not_as_described":
        out.append(Reason(rule_id="priority.risky_category", detail=category, weight=1))
    threshold = high_value_threshold(marketplace_id, currency)
    if amount is not None and threshold is not None and amount >= threshold:
        detail = f"{amount} {currency or ''} >= {threshold}".strip()
        out.append(Reason(rule_id="priority.high_value", detail=detail, weight=1))
    if context is not None:
        if context.prior_contacts > 0:
            weight = 2 if context.prior_contacts >= 3 else 1
            detail = f"{context.prior_contacts} earlier contacts"
            out.append(Reason(rule_id="priority.repeat_contact", detail=detail, weight=weight))
        if (context.account_status or "").upper() == "AT_RISK":
            out.append(Reason(rule_id="priority.account_at_risk", detail="AT_RISK", weight=2))
        if category == "not_received" and (context.fulfillment_type or "").upper() == "MFN":
            out.append(Reason(rule_id="priority.mfn_not_received", detail="seller-fulfilled", weight=1))
    if a_to_z_mention:
        out.append(Reason(rule_id="priority.a_to_z_mention", detail=a_to_z_mention, weight=2))
    if feedback_rating is not None and feedback_rating <= 2:
        out.append(Reason(rule_id="priority.negative_feedback", detail=f"{feedback_rating} stars", weight=1))
    if ageing:
        out.append(Reason(rule_id="priority.ageing", detail="open past the ageing limit", weight=1))
    return out


def assess_priority(
    *,
    kind: SignalKind,
    occurred_at: datetime,
    category: Category,
    a_to_z_claim: bool,
    chargeback: str | None,
    a_to_z_mention: str | None,
    marketplace_id: str | None,
    amount: Decimal | None,
    currency: str | None,
    feedback_rating: int | None,
    context: OrderContext | None,
    now: datetime,
    settings: ClassifierSettings,
) -> PriorityDecision:
    """Apply the scoring in the module docstring."""
    first_seen = context.first_contact_at if context and context.first_contact_at else occurred_at
    ageing = now - first_seen >= timedelta(days=settings.ageing_days)
    reasons: list[Reason] = []
    if ageing:
        reasons.append(Reason(rule_id="sla.ageing", detail=f"first seen {(now - first_seen).days} days ago"))
    urgent = kind is SignalKind.A_TO_Z_CLAIM or a_to_z_claim or chargeback is not None
    if urgent:
        rule = (
            "priority.a_to_z_claim"
            if (kind is SignalKind.A_TO_Z_CLAIM or a_to_z_claim)
            else "priority.chargeback"
        )
        reasons.append(Reason(rule_id=rule, detail=chargeback or "A-to-z Guarantee claim", weight=None))
        claim_due = occurred_at + timedelta(hours=settings.a_to_z_sla_hours)
        reasons.append(Reason(rule_id="sla.a_to_z", detail=f"{settings.a_to_z_sla_hours} h from signal"))
        return PriorityDecision(Priority.P1, claim_due, ageing, True, tuple(reasons))
    points = _points(
        category=category,
        amount=amount,
        currency=currency,
        marketplace_id=marketplace_id,
        context=context,
        a_to_z_mention=a_to_z_mention,
        feedback_rating=feedback_rating,
        ageing=ageing,
    )
    total = sum(r.weight or 0 for r in points)
    priority = (
        Priority.P1
        if total >= 6
        else Priority.P2
        if total >= 3
        else Priority.P3
        if total >= 1
        else Priority.P4
    )
    reasons.extend(points)
    reasons.append(
        Reason(rule_id="priority.points", detail=f"{total:g} points -> {priority.value}", weight=total)
    )
    due: datetime | None = None
    if kind in _CLOCKED_KINDS:
        due = occurred_at + timedelta(hours=settings.buyer_message_sla_hours)
        reasons.append(
            Reason(rule_id="sla.buyer_message", detail=f"{settings.buyer_message_sla_hours} h calendar")
        )
    return PriorityDecision(priority, due, ageing, False, tuple(reasons))
