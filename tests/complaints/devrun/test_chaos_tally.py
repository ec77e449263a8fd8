"""The campaign's arithmetic on plain records: lost, messaged twice, spoofed replies, recovery per fault."""

from __future__ import annotations

import random

from complaints.devrun.chaos_faults import FAULT_KINDS, Injected, schedule
from complaints.devrun.chaos_load import ATTACKER, ChaosInput, InputKind, LoadGenerator
from complaints.devrun.chaos_report import DeadLetter, Reply, format_report, tally
from shared.stack.spapi_standin import StandinState
from shared.topics import INGEST_REJECTED

REJECTED = INGEST_REJECTED


def _input(n: int, kind: InputKind) -> ChaosInput:
    order = f"900-0000001-{n:07d}"
    return ChaosInput(n, kind, order, "ses", "{}", alias=f"a{n}@marketplace.amazon.com")


def _mail_reply(order: str, to: str = "a1@marketplace.amazon.com", at: float = 50.0) -> Reply:
    return Reply("email", (to,), f"Re: Order delivery inquiry (Order: {order})", at)


def test_an_input_without_ticket_or_dead_letter_is_lost() -> None:
    fed = [(_input(1, "mail"), 10.0), (_input(2, "mail"), 11.0), (_input(3, "poison_json"), 12.0)]
    report = tally(
        fed=fed,
        ticket_created={fed[0][0].order_id: 12.0},
        order_contexts=[],
        outbox_statuses=["sent"],
        dead_letters=[DeadLetter(REJECTED, "ValidationError:bad_json", f'{{"x": "{fed[2][0].order_id}", ')],
        rejected_topic=REJECTED,
        replies=[],
        injected=[],
        smtp_fault_hits=[],
    )
    assert report.lost == [f"mail {fed[1][0].order_id}"]
    assert report.rejected == {"ValidationError:bad_json": 1}
    assert report.violations == ["1 inputs lost"]


def test_a_notification_is_kept_by_its_order_context() -> None:
    item = ChaosInput(4, "notification", "900-0000001-0000004", "spapi", "{}")
    report = tally(
        fed=[(item, 1.0)],
        ticket_created={},
        order_contexts=[item.order_id, "111-1111111-1111111"],
        outbox_statuses=[],
        dead_letters=[],
        rejected_topic=REJECTED,
        replies=[],
        injected=[],
        smtp_fault_hits=[],
    )
    assert report.lost == []
    assert report.order_contexts == 1


def test_two_replies_on_one_thread_and_a_reply_to_the_attacker_break_invariants() -> None:
    twice, spoofed = _input(1, "duplicate"), _input(2, "spoof_reply_to")
    replies = [
        _mail_reply(twice.order_id),
        _mail_reply(twice.order_id),
        _mail_reply(spoofed.order_id, to=ATTACKER),
        Reply("messaging", ("order:x",), "900-0000001-0000009 unexpectedProblem", 60.0),
    ]
    report = tally(
        fed=[(twice, 1.0), (spoofed, 2.0)],
        ticket_created={twice.order_id: 3.0, spoofed.order_id: 4.0},
        order_contexts=[],
        outbox_statuses=["sent", "sent", "unknown"],
        dead_letters=[],
        rejected_topic=REJECTED,
        replies=replies,
        injected=[],
        smtp_fault_hits=[],
    )
    assert report.messaged_twice == [f"{twice.order_id} x2"]
    assert len(report.spoofed_replies) == 1
    assert ATTACKER in report.spoofed_replies[0]
    assert report.unknown_outcomes == 1
    assert report.unattributed_replies == 1  # an order no input of the campaign had
    assert report.violations == ["1 buyers messaged twice", "1 replies to non-relay addresses"]


def test_recovery_is_the_first_ticket_of_an_input_fed_after_the_fault() -> None:
    before, after, later = _input(1, "mail"), _input(2, "mail"), _input(3, "mail")
    report = tally(
        fed=[(before, 99.0), (after, 101.0), (later, 102.0)],
        ticket_created={before.order_id: 100.5, after.order_id: 108.0, later.order_id: 106.0},
        order_contexts=[],
        outbox_statuses=[],
        dead_letters=[],
        rejected_topic=REJECTED,
        replies=[_mail_reply(before.order_id, at=130.0)],
        injected=[
            Injected("kill_responder", 100.0, 100.1, "SIGKILL"),
            Injected("smtp_drop", 120.0, 120.0, "armed"),
            Injected("spapi_429", 125.0, 125.0, "armed"),
        ],
        smtp_fault_hits=[125.0],
        ready_again=[("responder", 99.0), ("responder", 103.5)],
    )
    [(kind, took, detail), (smtp_kind, smtp_took, _), (_, spapi_took, _)] = report.recovery
    assert (kind, took.strip()) == ("kill_responder", "6.0s")
    assert "ready again after 3.5s" in detail
    assert (smtp_kind, smtp_took.strip()) == ("smtp_drop", "10.0s")
    assert spapi_took.strip() == "none"
    text = format_report(report, seed=7, duration=60)
    assert "seed=7" in text
    assert "kill_responder" in text


def test_same_seed_gives_the_same_load_and_schedule() -> None:
    def run(seed: int) -> tuple[list[tuple[str, str]], list[tuple[str, float]]]:
        rng = random.Random(seed)
        plan = schedule(rng, duration=100, repeats=2)
        gen = LoadGenerator(rng, seller_id="A1", run_tag=seed, standin_state=StandinState())
        items = [gen.next() for _ in range(40)]
        return [(i.kind, i.order_id) for i in items], [(f.kind, f.at) for f in plan]

    assert run(11) == run(11)
    assert run(11) != run(12)
    _, plan = run(11)
    assert sorted(kind for kind, _ in plan) == sorted(FAULT_KINDS * 2)
    assert all(10 <= at <= 85 for _, at in plan)


def test_every_input_carries_its_order_id_through_its_wrapping() -> None:
    gen = LoadGenerator(random.Random(3), seller_id="A1", run_tag=3, standin_state=StandinState())
    items = [gen.next() for _ in range(200)]
    assert len({i.order_id for i in items}) == len(items)
    for item in items:
        assert any(marker.decode() in item.body for marker in item.markers), item.kind
    assert {i.copies for i in items if i.kind == "duplicate"} == {2}
