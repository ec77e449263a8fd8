"""Account health end to end on the real database and broker: Amazon's figures and our ODR estimate in
/v1/stats (a case computed by hand), and a complaint spike per ASIN raised once to Kafka, the signed
webhook, /metrics and /v1/stats."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer
from prometheus_client import REGISTRY

from services.responder.api.security import STATS_READ
from services.responder.handlers import ResponderDeps, handle_batch
from services.responder.health.spikes import SpikePolicy
from services.responder.replies.compose import ReplyComposer
from services.responder.settings import ResponderSettings
from services.responder.tables import OrderContextRow, Ticket, TicketEvent
from services.responder.workers.health_alerts import run_health_alerts
from services.responder.workers.odr_warnings import odr_warning_pass
from services.responder.workers.spikes import spike_pass
from services.responder.workers.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookSender, verify
from shared.db.session import Database, unit_of_work
from shared.events import (
    AccountHealthReported,
    ComplaintClassified,
    OrderDefectFigures,
    SignalKind,
    SignalSource,
    event_id_for,
)
from shared.kafka.producer import EventProducer
from shared.kafka.typed import Consumed
from shared.settings import KafkaSettings
from shared.topics import HEALTH_ALERTS
from tests.responder.api.helpers import CIPHER, T0, add_key, bearer
from tests.responder.api.receiver import webhook_receiver
from tests.responder.support import classified

pytestmark = pytest.mark.integration

SELLER = "A2SELLER"
US = "ATVPDKIKX0DER"
D = timedelta(days=1)
SECRET = "hook-secret"


@pytest_asyncio.fixture
async def producer(kafka_bootstrap: str) -> AsyncIterator[EventProducer]:
    p = EventProducer(KafkaSettings(bootstrap_servers=kafka_bootstrap))
    await p.start()
    yield p
    await p.stop()


def _odr(channel: Any, rate: float, *, end: datetime, orders: int = 1000) -> OrderDefectFigures:
    defects = round(rate * orders)
    return OrderDefectFigures(
        fulfillment=channel,
        window_start=end - 61 * D,
        window_end=end - 2 * D,
        order_count=orders,
        orders_with_defects=defects,
        negative_feedback=defects,
        a_to_z_claims=0,
        chargebacks=0,
        rate=rate,
        target=0.01,
        status="GOOD",
    )


def _amazon(seller: str, at: datetime, mfn_rate: float) -> AccountHealthReported:
    key = f"report:account-health:{seller}:{US}:{at.isoformat()}"
    return AccountHealthReported(
        event_id=event_id_for(key),
        occurred_at=at,
        seller_id=seller,
        marketplace_id=US,
        dedup_key=key,
        correlation_id="report:1",
        source=SignalSource.REPORT,
        report_id="1",
        account_status="NORMAL",
        account_health_rating="GREAT",
        order_defect_rates=(_odr("mfn", mfn_rate, end=at), _odr("afn", 0.0, end=at)),
        late_shipment_rate=0.01,
        pre_fulfillment_cancellation_rate=0.002,
        valid_tracking_rate=0.99,
        policy_violations=0,
        warnings=("spammingSellerMessaging",),
    )


def _signal(
    order_id: str, kind: SignalKind, *, rating: int | None = None, a_to_z: bool = False
) -> ComplaintClassified:
    event = classified(order_id=order_id, seller_id=SELLER, kind=kind)
    signal = event.signal.model_copy(update={"feedback_rating": rating, "a_to_z_claim": a_to_z})
    return event.model_copy(update={"signal": signal})


def _consumed(events: list[Any]) -> list[Consumed[Any]]:
    return [
        Consumed(event=e, topic="t", partition=0, offset=i, key=None, headers=())
        for i, e in enumerate(events)
    ]


async def _orders(db: Database, now: datetime) -> None:
    rows = [
        OrderContextRow(
            seller_id=SELLER, order_id=f"M{i}", marketplace_id=US, fulfillment_type="MFN",
            purchase_date=now - (1 + i % 50) * D, last_event_at=now,
        )
        for i in range(250)
    ] + [
        OrderContextRow(
            seller_id=SELLER, order_id=f"A{i}", marketplace_id=US, fulfillment_type="AFN",
            purchase_date=now - 3 * D, last_event_at=now,
        )
        for i in range(50)
    ] + [
        # Purchased before the 60-day window: not counted.
        OrderContextRow(
            seller_id=SELLER, order_id=f"OLD{i}", marketplace_id=US, fulfillment_type="MFN",
            purchase_date=now - 70 * D, last_event_at=now,
        )
        for i in range(10)
    ]  # fmt: skip
    async with unit_of_work(db) as session:
        session.add_all(rows)


async def test_amazons_figures_beside_our_estimate_with_warnings(
    client: httpx.AsyncClient, db: Database, producer: EventProducer, kafka_bootstrap: str
) -> None:
    now = datetime.now(UTC)
    await _orders(db, now)
    batch = _consumed(
        [
            _signal("M1", SignalKind.FEEDBACK_REPORT_ROW, rating=1),
            _signal("M2", SignalKind.FEEDBACK_REPORT_ROW, rating=2),
            _signal("M3", SignalKind.FEEDBACK_REPORT_ROW, rating=3),  # neutral: no defect
            _signal("M2", SignalKind.A_TO_Z_CLAIM),  # a second defect of M2: the order counts once
            _signal("M4", SignalKind.RETURN_REPORT_ROW, a_to_z=True),  # the returns report's A-to-z column
            _signal("M5", SignalKind.BUYER_MESSAGE),  # a complaint, not a defect
            _signal("A7", SignalKind.A_TO_Z_CLAIM),
            _amazon(SELLER, now - 10 * D, 0.004),
            _amazon(SELLER, now - 2 * D, 0.006),
            _amazon("SELLER-B", now - D, 0.02),  # another seller's: never shown to this key
        ]
    )
    deps = ResponderDeps(cipher=CIPHER, composer=ReplyComposer(responder=ResponderSettings()))
    assert len(batch) == 10
    for _ in range(2):  # redelivered: applied once
        async with unit_of_work(db) as session:
            await handle_batch(batch, session=session, deps=deps, now=now)
    key = await add_key(db, sellers=[SELLER], scopes=[STATS_READ])

    params = {"from": (now - 30 * D).isoformat(), "to": (now + timedelta(minutes=1)).isoformat()}
    r = await client.get("/v1/stats", params=params, headers=bearer(key))

    assert r.status_code == 200, r.text
    (health,) = r.json()["account_health"]
    assert (health["seller_id"], health["marketplace_id"]) == (SELLER, US)
    assert [s["order_defect_rates"][0]["rate"] for s in health["series"]] == [0.004, 0.006]
    latest = health["latest"]
    assert (latest["account_status"], latest["account_health_rating"]) == ("NORMAL", "GREAT")
    assert latest["warnings"] == ["spammingSellerMessaging"]
    assert latest["valid_tracking_rate"] == 0.99
    estimate = {e["fulfillment"]: e for e in health["estimate"]}
    # MFN: 250 orders in the window (the 10 older ones excluded); negative feedback on M1 and M2 (M3 is
    # three stars), A-to-z on M2 and M4; defective orders M1, M2, M4 = 3.
    # ODR = 3 / 250 = 0.012; negative feedback rate = 2 / 250 = 0.008.
    mfn = estimate["mfn"]
    assert (mfn["orders"], mfn["negative_feedback"], mfn["a_to_z_claims"], mfn["defective_orders"]) == (
        250,
        2,
        2,
        3,
    )
    assert mfn["odr"] == pytest.approx(0.012)
    assert mfn["negative_feedback_rate"] == pytest.approx(0.008)
    assert mfn["amazon_odr"] == 0.006
    assert mfn["amazon_negative_feedback_rate"] == pytest.approx(0.006)
    # AFN: 50 orders, A7's claim: 1 / 50 = 0.02 against Amazon's 0.0.
    afn = estimate["afn"]
    assert (afn["orders"], afn["defective_orders"], afn["odr"], afn["amazon_odr"]) == (50, 1, 0.02, 0.0)
    # Amazon's last MFN figure (0.6 %) already crossed 0.5 %: only the 1 % line is news. AFN: both.
    warnings = sorted((w["fulfillment"], w["threshold"]) for w in health["warnings"])
    assert warnings == [("afn", 0.005), ("afn", 0.01), ("mfn", 0.01)]

    # The same warnings are raised as alerts, once (ahead of this Amazon report).
    before = REGISTRY.get_sample_value("odr_warnings_total", {"marketplace": US, "threshold": "0.01"}) or 0.0
    raised = await odr_warning_pass(db=db, publisher=producer, now=now + timedelta(minutes=1))
    assert sorted((e.fulfillment, e.threshold, e.amazon_rate) for e in raised) == [
        ("afn", 0.005, 0.0),
        ("afn", 0.01, 0.0),
        ("mfn", 0.01, 0.006),
    ]
    assert {(e.orders, e.defective_orders) for e in raised if e.fulfillment == "mfn"} == {(250, 3)}
    assert await odr_warning_pass(db=db, publisher=producer, now=now + timedelta(minutes=5)) == []
    after = REGISTRY.get_sample_value("odr_warnings_total", {"marketplace": US, "threshold": "0.01"}) or 0.0
    assert after - before == 2
    on_topic = await _on_topic(
        kafka_bootstrap, lambda d: d.get("event_type") == "OdrThresholdCrossed", {SELLER}
    )
    assert sorted(d["event_id"] for d in on_topic) == sorted(str(e.event_id) for e in raised)


def _complaints(
    asin: str, *, per_day: int, days: int, today: int, now: datetime, written_now: bool = False
) -> list[Ticket | TicketEvent]:
    """Tickets with one signal each: ``per_day`` on each of the ``days`` before today, ``today`` today.

    ``written_now``: every ticket is written today whatever its signal's time (a report backfill).
    """
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    stamps = [day - d * D + timedelta(hours=8, minutes=i) for d in range(1, days + 1) for i in range(per_day)]
    stamps += [day + timedelta(minutes=5 * i) for i in range(today)]
    reasons = [
        {"rule_id": "return.defective", "detail": "", "weight": None},
        {"rule_id": "text.feature", "detail": "'broken' -> defective", "weight": None},
    ]
    rows: list[Ticket | TicketEvent] = []
    for at in stamps:
        ticket_id = uuid.uuid4()
        created = day + timedelta(hours=1) if written_now else at
        rows.append(
            Ticket(
                id=ticket_id, seller_id=SELLER, marketplace_id=US, thread_key=f"t:{ticket_id}", status="new",
                priority="P3", category="defective", tags=[], reasons=reasons, message_count=1, version=1,
                no_response_needed=False, ageing=False, asin=asin, created_at=created, updated_at=created,
            )
        )  # fmt: skip
        rows.append(TicketEvent(ticket_id=ticket_id, kind="signal", occurred_at=at, data={"asin": asin}))
    return rows


async def _on_topic(
    bootstrap: str, wanted: Callable[[dict[str, Any]], bool], sellers: set[str]
) -> list[dict[str, Any]]:
    """The alerts on the shared topic that ``wanted`` picks, read to the end (other tests publish there too)."""
    consumer = AIOKafkaConsumer(
        HEALTH_ALERTS, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    found: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(15):
            while not found:
                for records in (await consumer.getmany(timeout_ms=300)).values():
                    docs = (orjson.loads(r.value) for r in records)
                    found += [d for d in docs if d["seller_id"] in sellers and wanted(d)]
            for records in (await consumer.getmany(timeout_ms=300)).values():  # what arrived with them
                docs = (orjson.loads(r.value) for r in records)
                found += [d for d in docs if d["seller_id"] in sellers and wanted(d)]
    finally:
        await consumer.stop()
    return found


async def test_a_defect_batch_raises_one_spike_everywhere_and_noise_none(
    client: httpx.AsyncClient, db: Database, producer: EventProducer, kafka_bootstrap: str
) -> None:
    now = T0  # 09:00 UTC: the day so far is counted
    batch_asin, quiet, busy, late = (
        f"B0{uuid.uuid4().hex[:8].upper()}",
        "B0QUIET001",
        "B0BUSY0001",
        "B0LATE0001",
    )
    async with unit_of_work(db) as session:
        session.add_all(
            _complaints(batch_asin, per_day=2, days=28, today=12, now=now)  # the defect batch
            + _complaints(quiet, per_day=0, days=28, today=3, now=now)  # 0 -> 3: too few
            + _complaints(busy, per_day=10, days=28, today=14, now=now)  # ordinary for a busy ASIN
            # A returns backfill: 28 days of returns written today, one a day: spread over their days.
            + _complaints(late, per_day=1, days=28, today=1, now=now, written_now=True)
        )
    metric = {"marketplace": US}
    before = REGISTRY.get_sample_value("asin_complaint_spikes_total", metric) or 0.0

    async with webhook_receiver([503]) as receiver:  # the first attempt fails: retried
        webhook = WebhookSender(url=receiver.url, secret=SECRET, max_attempts=3, backoff_s=0.01, timeout_s=5)
        stop = asyncio.Event()
        task = asyncio.create_task(
            run_health_alerts(
                db=db, publisher=producer, policy=SpikePolicy(), interval_s=0.05, stop=stop,
                clock=lambda: now, webhook=webhook,
            )
        )  # fmt: skip
        await receiver.wait_for(2)
        await asyncio.sleep(0.2)  # a few more passes: nothing new is raised
        stop.set()
        await task
        await webhook.aclose()

    assert len(receiver.requests) == 2
    delivered = receiver.requests[1]
    stamp = int(delivered.headers[TIMESTAMP_HEADER.lower()])
    assert verify(
        SECRET, stamp, delivered.body, delivered.headers[SIGNATURE_HEADER.lower()], now=stamp, tolerance_s=5
    )
    body = orjson.loads(delivered.body)
    assert (body["event_type"], body["asin"], body["complaints"]) == (
        "AsinComplaintSpikeDetected",
        batch_asin,
        12,
    )
    assert body["top_reasons"] == [
        {"rule_id": "return.defective", "count": 12}
    ]  # bookkeeping reasons left out
    assert len(body["example_ticket_ids"]) == 5
    assert body["baseline_per_day"] == pytest.approx(57 / 30)
    asins = {batch_asin, quiet, busy, late}
    on_topic = await _on_topic(kafka_bootstrap, lambda d: d.get("asin") in asins, {SELLER})
    assert [(d["asin"], d["event_id"]) for d in on_topic] == [(batch_asin, body["event_id"])]
    after = REGISTRY.get_sample_value("asin_complaint_spikes_total", metric) or 0.0
    assert after - before == 1
    assert (
        await spike_pass(db=db, publisher=producer, now=now + timedelta(hours=1), policy=SpikePolicy()) == []
    )

    key = await add_key(db, sellers=[SELLER], scopes=[STATS_READ])
    params = {"from": (now - D).isoformat(), "to": (now + timedelta(hours=1)).isoformat()}
    r = await client.get("/v1/stats", params=params, headers=bearer(key))
    assert r.status_code == 200, r.text
    (line,) = r.json()["asin_spikes"]
    assert (line["asin"], line["complaints"], line["day"][:10]) == (batch_asin, 12, "2026-03-02")
    assert line["top_reasons"] == [{"rule_id": "return.defective", "count": 12}]
    assert line["example_ticket_ids"] == body["example_ticket_ids"]
