"""Stalled shipments, before the buyer writes: a proactive ticket and a drafted unexpectedProblem message.

A pass finds undelivered orders whose tracking has not moved for the carrier's number of days (or that passed
their latest delivery date), asks ``getMessagingActionsForOrder`` whether ``unexpectedProblem`` is offered, and
in one transaction per order opens the order's ticket (thread ``order:<id>``, the key a buyer message about the
order also gets, so a later message joins it) with the carrier facts on its timeline, plus the message as a
``draft`` outbox row for an agent to approve (nothing is sent). An order that already has a ticket is skipped,
and the ticket insert is ``ON CONFLICT DO NOTHING``: one proactive ticket per order however many replicas run
the check. A throttled or unreachable SP-API leaves the order for the next pass; an order Amazon refuses gets
its ticket without a draft.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from services.responder.outbox import repository as outbox_repo
from services.responder.outbox.rows import outbox_row
from services.responder.replies.compose import ReplyComposer
from services.responder.replies.message import OutboxReply
from services.responder.replies.templating import TemplateNotFoundError, TemplateVariableError, render_reply
from services.responder.settings import ResponderSettings
from services.responder.shipments import repository as shipments
from services.responder.shipments.repository import ShipmentFacts
from services.responder.shipments.stalled import StalledRule, proactive_facts, stalled_reason
from services.responder.tables import Ticket
from services.responder.tickets import repository as tickets_repo
from services.responder.tickets import timeline
from services.responder.tickets.threads import outbox_key
from shared.crypto import PiiCipher
from shared.db.session import Database, unit_of_work
from shared.errors import PermanentError, RetryableError

__all__ = ["ACTOR", "MessagingActions", "StalledCheck", "run_stalled_checks"]

log = logging.getLogger(__name__)

ACTOR = "stalled-check"
UNEXPECTED_PROBLEM = "unexpectedProblem"
TAG = "stalled_shipment"
HORIZON = timedelta(days=60)
"""Orders not heard of for longer than this are not looked at (Amazon's claim window is 90 days after
the latest delivery date, but a shipment silent for two months has long been a ticket or a claim)."""


class MessagingActions(Protocol):
    """What the check needs from the SP-API client (``shared.spapi.client.SpApiClient`` fits)."""

    async def get_messaging_actions(self, seller_id: str, order_id: str, marketplace_id: str) -> list[str]:
        """The message types Amazon allows for the order now."""
        ...


class StalledCheck:
    """One pass at a time; ``pass_once`` returns the ids of the tickets it opened."""

    def __init__(
        self,
        *,
        db: Database,
        actions: MessagingActions,
        composer: ReplyComposer,
        settings: ResponderSettings,
        cipher: PiiCipher,
        batch: int = 200,
    ) -> None:
        self._db = db
        self._actions = actions
        self._composer = composer
        self._cipher = cipher
        self._batch = batch
        self.rule = StalledRule(settings.stalled_after_days, dict(settings.stalled_after_days_by))

    async def pass_once(self, *, now: datetime) -> list[uuid.UUID]:
        """Find stalled shipments and open their tickets."""
        async with self._db.sessions() as session:
            candidates = await shipments.stalled_candidates(
                session,
                moved_before=now - timedelta(days=self.rule.shortest()),
                now=now,
                horizon=now - HORIZON,
                limit=self._batch,
            )
        opened: list[uuid.UUID] = []
        for facts in candidates:
            reason = stalled_reason(facts, rule=self.rule, now=now)
            if reason is None:
                continue
            try:
                offered = await self._offered(facts)
            except RetryableError as exc:
                log.warning("stalled.actions_unavailable", extra={"error": exc.code})
                continue  # the next pass asks again
            ticket_id = await self._open(facts, reason=reason, offered=offered, now=now)
            if ticket_id is not None:
                opened.append(ticket_id)
        if opened:
            log.info("stalled.tickets_opened", extra={"count": len(opened)})
        return opened

    async def _offered(self, facts: ShipmentFacts) -> bool:
        if not facts.marketplace_id:
            return False
        try:
            actions = await self._actions.get_messaging_actions(
                facts.seller_id, facts.order_id, facts.marketplace_id
            )
        except PermanentError as exc:
            log.info("stalled.actions_refused", extra={"error": exc.code})
            return False
        return UNEXPECTED_PROBLEM in actions

    async def _open(
        self, facts: ShipmentFacts, *, reason: str, offered: bool, now: datetime
    ) -> uuid.UUID | None:
        ticket = Ticket(
            id=uuid.uuid4(),
            seller_id=facts.seller_id,
            marketplace_id=facts.marketplace_id,
            order_id=facts.order_id,
            thread_key=f"order:{facts.order_id}",
            status="new",
            priority="P2",
            category="not_received",
            tags=[{"name": TAG, "confidence": 1.0}],
            reasons=[{"rule_id": f"shipment.{reason}", "detail": f"tracking: {facts.last_milestone or '-'}"}],
            message_count=0,
            version=1,
            no_response_needed=False,
            ageing=False,
        )
        draft = self._draft(facts) if offered else None
        async with unit_of_work(self._db) as session:
            if not await shipments.open_proactive_ticket(session, ticket=ticket):
                return None  # the buyer wrote first, or another replica opened it
            entries = [(ticket.id, timeline.Entry(TAG, now, proactive_facts(facts, reason=reason, now=now)))]
            if draft is not None:
                key = outbox_key(
                    seller_id=facts.seller_id,
                    order_id=facts.order_id,
                    thread=ticket.thread_key,
                    template_id=draft.template_id or UNEXPECTED_PROBLEM,
                    version=f"{ACTOR}:{draft.template_version}",
                )
                row = outbox_row(
                    draft,
                    key=key,
                    ticket_id=ticket.id,
                    seller_id=facts.seller_id,
                    marketplace_id=facts.marketplace_id,
                    order_id=facts.order_id,
                    created_by=ACTOR,
                    cipher=self._cipher,
                )
                queued = await outbox_repo.insert_outbox_many(session, rows=[row])
                for outbox_id in queued.values():
                    entries.append((ticket.id, _draft_entry(outbox_id, draft, now=now)))
            await tickets_repo.add_timelines(session, entries=entries)
        return ticket.id

    def _draft(self, facts: ShipmentFacts) -> OutboxReply | None:
        """The unexpectedProblem message in the marketplace's language, linted; None when none renders."""
        variables: dict[str, object] = {
            "order_id": facts.order_id,
            "seller_name": self._composer.seller_name(facts.seller_id),
        }
        optional = {
            "carrier": facts.carrier,
            "tracking_number": facts.tracking_number,
            "latest_delivery_date": facts.latest_delivery_date,
        }
        variables.update({k: v for k, v in optional.items() if v})
        try:
            rendered = render_reply(
                category="not_received",
                channel=f"messaging:{UNEXPECTED_PROBLEM}",
                buyer_locale=None,
                marketplace_id=facts.marketplace_id,
                variables=variables,
            )
        except (TemplateVariableError, TemplateNotFoundError):
            return None
        return OutboxReply(
            status="draft" if rendered.lint.ok else "blocked",
            channel="messaging",
            action=UNEXPECTED_PROBLEM,
            buyer_alias=None,
            subject=None,
            body=rendered.text,
            headers={},
            template_id=rendered.template_id,
            template_version=rendered.template_version,
            language=rendered.language,
            fallback=rendered.fallback,
            lint=[v.as_dict() for v in rendered.lint.violations],
        )


def _draft_entry(outbox_id: uuid.UUID, draft: OutboxReply, *, now: datetime) -> timeline.Entry:
    return timeline.reply_entry(
        kind="reply_queued",
        outbox_id=outbox_id,
        status=draft.status,
        channel=draft.channel,
        action=draft.action,
        template_id=draft.template_id,
        template_version=draft.template_version,
        language=draft.language,
        fallback=draft.fallback,
        lint=draft.lint,
        now=now,
        actor=ACTOR,
        decision=["stalled_shipment", "draft_for_agent"],
    )


async def run_stalled_checks(
    check: StalledCheck, *, interval_s: float, stop: asyncio.Event, clock: Callable[[], datetime]
) -> None:
    """A pass every ``interval_s`` until ``stop``, the first one an interval after start (a restarting
    replica does not ask Amazon again at once); a failed pass is logged and the next one retries."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
        if stop.is_set():
            return
        try:
            await check.pass_once(now=clock())
        except RetryableError as exc:
            log.warning("stalled.pass_failed", extra={"error": exc.code})
        except Exception as exc:  # noqa: BLE001  # one failed pass must not end the loop
            log.error("stalled.pass_failed", extra={"exc_type": type(exc).__name__})
