"""The fault campaign's steady mixed load: what each input is, what it must become, and how it is fed.

Every input gets its own order id, so a ticket, a dead letter or a reply can be traced back to exactly one
input (the order id survives every wrapping: SNS, SES base64 content, the rejected and dead-letter topics).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from typing import Any, Literal

from complaints.devrun.feed import SES_SUBJECT
from shared.demo import reports as demo_reports
from shared.demo.envelopes import order_change_notification, ses_received_notification
from shared.demo.mails import RelayMail, relay_email
from shared.stack.aws import AwsEnvironment, aws_client

__all__ = [
    "ATTACKER",
    "KIND_WEIGHTS",
    "RETURNS_REPORT_TYPE",
    "ChaosInput",
    "InputKind",
    "LoadGenerator",
    "aws_clients",
    "feed_one",
    "kinds_of",
    "returns_report",
]

InputKind = Literal[
    "mail",
    "duplicate",
    "notification",
    "return_report",
    "poison_nul",
    "poison_message_id",
    "poison_json",
    "spoof_reply_to",
    "spoof_verdict",
]

KIND_WEIGHTS: dict[InputKind, int] = {
    "mail": 30,
    "duplicate": 8,
    "notification": 15,
    "return_report": 8,
    "poison_nul": 4,
    "poison_message_id": 4,
    "poison_json": 4,
    "spoof_reply_to": 5,
    "spoof_verdict": 5,
}

ATTACKER = "attacker@evil.example"
RETURNS_REPORT_TYPE = "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE"
_SELLER_ADDRESS = "support@seller.example"
_MARKETPLACE = "ATVPDKIKX0DER"
_TEXTS = (
    "My parcel has not arrived yet and the delivery date was last week. Where is it?",
    "The item came broken, the lid is cracked and it will not switch on.",
    "I received the wrong colour, I ordered black and got white.",
    "Tracking shows delivered but nothing reached my door.",
    "The charger stopped working after two days, please help.",
)


@dataclass(frozen=True, slots=True)
class ChaosInput:
    """One input of the campaign; ``order_id`` is its trace through the system."""

    n: int
    kind: InputKind
    order_id: str
    queue: Literal["spapi", "ses"]
    body: str
    copies: int = 1
    alias: str | None = None  # the buyer's relay address, for mails
    report_id: str | None = None

    @property
    def expects_ticket(self) -> bool:
        """Whether a correct system makes a ticket of it (others must be a ticket or a dead letter)."""
        return self.kind in ("mail", "duplicate", "return_report")

    @property
    def markers(self) -> tuple[bytes, ...]:
        """Byte strings that identify this input inside a rejected or dead-lettered record."""
        found = [self.order_id.encode()]
        if self.report_id is not None:
            found.append(f"chaos-report-{self.report_id}".encode())
        return tuple(found)

    @property
    def expects_order_context(self) -> bool:
        """Whether it is an order notification (kept as order context, no ticket)."""
        return self.kind == "notification"


def returns_report(order_id: str, rma: str) -> bytes:
    """A seller-fulfilled returns flat file with one defective-item row."""
    return demo_reports.returns_report([(order_id, rma, "1")], item_name="Desk lamp")


def _report_finished(seller_id: str, report_id: str, document_id: str) -> str:
    notification = demo_reports.report_finished(
        seller_id=seller_id,
        report_id=report_id,
        report_type=RETURNS_REPORT_TYPE,
        document_id=document_id,
        at=datetime.now(UTC),
        notification_id=f"chaos-report-{report_id}",
        application_id="amzn1.sellerapps.app.chaos",
        subscription_id="chaos-reports",
    )
    return json.dumps(notification)


class LoadGenerator:
    """Seeded: the same seed gives the same sequence of kinds, texts and ids."""

    def __init__(
        self,
        rng: random.Random,
        *,
        seller_id: str,
        run_tag: int,
        standin_state: Any | None,
        max_reports: int = 10,
    ):
        self._rng = rng
        self._seller = seller_id
        self._run = run_tag % 10_000_000
        self._standin = standin_state
        self._n = 0
        # Amazon allows one report document download a minute after a burst of 15: more returns reports than
        # that would measure the quota, not the faults.
        self._reports_left = max_reports if standin_state is not None else 0
        self._kinds = list(KIND_WEIGHTS)
        self._weights = [KIND_WEIGHTS[k] for k in self._kinds]

    def next(self) -> ChaosInput:
        """The next input."""
        self._n += 1
        kind = self._rng.choices(self._kinds, self._weights)[0]
        if kind == "return_report":
            if self._reports_left <= 0:
                kind = "mail"
            self._reports_left -= 1
        return self._make(self._n, kind)

    def _order(self, n: int) -> str:
        return f"{900 + n // 10_000_000 % 100:03d}-{self._run:07d}-{n % 10_000_000:07d}"

    def _make(self, n: int, kind: InputKind) -> ChaosInput:
        order = self._order(n)
        if kind == "notification":
            body = order_change_notification(
                seller_id=self._seller,
                order_id=order,
                marketplace_id=_MARKETPLACE,
                status="Shipped",
                event_time=datetime.now(UTC) - timedelta(days=3),
                latest_delivery=datetime.now(UTC) - timedelta(days=1),
                notification_id=f"chaos-{self._run}-{n}",
            )
            # Every third one twice: SQS delivers at least once.
            return ChaosInput(n, kind, order, "spapi", body, copies=2 if n % 3 == 0 else 1)
        if kind == "poison_json":
            body = '{"NotificationType": "ORDER_CHANGE", "Payload": {"AmazonOrderId": "' + order + '", '
            return ChaosInput(n, kind, order, "spapi", body)
        if kind == "return_report":
            return self._return_report(n, order)
        return self._mail(n, kind, order)

    def _return_report(self, n: int, order: str) -> ChaosInput:
        state = self._standin
        assert state is not None
        state.add_order(order, self._seller, marketplace_id=_MARKETPLACE)
        state.set_report(self._seller, RETURNS_REPORT_TYPE, returns_report(order, f"RMA{n}"))
        report = state.reports.create(
            seller_id=self._seller,
            report_type=RETURNS_REPORT_TYPE,
            marketplace_ids=[_MARKETPLACE],
            data_start_time=None,
            data_end_time=None,
        )
        body = _report_finished(self._seller, report.report_id, report.document_id)
        copies = 2 if n % 3 == 0 else 1  # a redelivered report must not message the buyer twice
        return ChaosInput(n, "return_report", order, "spapi", body, copies=copies, report_id=report.report_id)

    def _mail(self, n: int, kind: InputKind, order: str) -> ChaosInput:
        alias = f"c{self._run:07d}n{n:07d}"
        text = self._rng.choice(_TEXTS)
        message_id = f"<chaos-{self._run}-{n}@relay.amazon.example>"
        if kind == "poison_nul":
            text = text.replace(" ", "\x00 ", 2) + "\x00"
        if kind == "poison_message_id":
            message_id = "<" + "x" * 4000 + f"-{n}@relay.amazon.example>"
        mail = RelayMail(
            language="en",
            alias=alias,
            buyer_name="Chaos Buyer",
            order_id=order,
            text=text,
            message_id=message_id,
            sent_at=datetime.now(UTC),
            seller_address=_SELLER_ADDRESS,
        )
        raw = relay_email(mail)
        if kind == "spoof_reply_to":
            raw = _with_reply_to(raw, ATTACKER)
        body = ses_received_notification(
            raw, recipient=_SELLER_ADDRESS, received_at=mail.sent_at, base64_content=n % 2 == 0
        )
        if kind == "spoof_verdict":
            body = _failing_verdicts(body)
        relay = f"{alias}@marketplace.amazon.com"
        return ChaosInput(n, kind, order, "ses", body, copies=2 if kind == "duplicate" else 1, alias=relay)


def _with_reply_to(raw: bytes, address: str) -> bytes:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    del message["Reply-To"]
    message["Reply-To"] = address
    return message.as_bytes()


def _failing_verdicts(body: str) -> str:
    doc = json.loads(body)
    receipt = doc["receipt"]
    for verdict in ("spfVerdict", "dkimVerdict", "dmarcVerdict"):
        receipt[verdict] = {"status": "FAIL"}
    doc["mail"]["source"] = ATTACKER
    return json.dumps(doc)


async def feed_one(aws: AwsEnvironment, item: ChaosInput, clients: tuple[Any, Any]) -> float:
    """Put one input (all its copies) where Amazon and AWS would; returns the epoch time it was sent."""
    sqs, sns = clients
    res = aws.resources
    sent_at = time.time()
    for _ in range(item.copies):
        if item.queue == "spapi":
            await sqs.send_message(QueueUrl=res.spapi_queue_url, MessageBody=item.body)
        else:
            await sns.publish(TopicArn=res.ses_topic_arn, Message=item.body, Subject=SES_SUBJECT)
    return sent_at


def aws_clients(aws: AwsEnvironment) -> tuple[Any, Any]:
    """Context managers of the SQS and SNS clients ``feed_one`` uses."""
    return aws_client("sqs", aws.endpoint_url, aws.region), aws_client("sns", aws.endpoint_url, aws.region)


def kinds_of(inputs: Sequence[ChaosInput]) -> dict[str, int]:
    """How many inputs of each kind."""
    counts: dict[str, int] = {}
    for item in inputs:
        counts[item.kind] = counts.get(item.kind, 0) + 1
    return counts
