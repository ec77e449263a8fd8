"""The Zendesk webhook endpoint on loopback against the real broker: signature, replay window, kept rejects."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.ingest.parse.zendesk import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_zendesk
from shared.decoding import decode_amazon_event
from shared.events import HelpdeskUpdateReceived, SignalSource
from tests.ingest.http_serving import serving
from tests.ingest.kafka_read import header, read_all
from tests.ingest.support import CODEC, DepsFactory, Topics, ingest_settings

pytestmark = pytest.mark.integration

SELLER = "A1ZENDESKSELLER"
SECRET = "zendesk-webhook-secret-for-tests"
PATH = f"/v1/zendesk/{SELLER}/webhook"


def _comment(
    ticket_id: uuid.UUID, *, comment_id: int = 501, body: str = "We are sending a replacement."
) -> bytes:
    doc = {
        "type": "zen:event-type:ticket.comment_added",
        "id": str(uuid.uuid4()),
        "time": "2026-12-03T10:00:00Z",
        "detail": {
            "id": "77",
            "external_id": str(ticket_id),
            "status": "OPEN",
            "updated_at": "2026-12-03T10:00:00Z",
        },
        "event": {
            "comment": {"id": str(comment_id), "body": body, "is_public": True, "author": {"id": "9001"}}
        },
    }
    return json.dumps(doc).encode()


def _signed(body: bytes, *, at: datetime | None = None, secret: str = SECRET) -> dict[str, str]:
    stamp = (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: sign_zendesk(secret, stamp, body),
        "content-type": "application/json",
    }


async def test_a_signed_comment_is_published_once_however_often_it_is_delivered(
    make_deps: DepsFactory, topics: Topics, kafka_bootstrap: str
) -> None:
    ticket_id = uuid.uuid4()
    body = _comment(ticket_id)
    async with serving(
        make_deps(settings=ingest_settings(zendesk_webhook_secrets={SELLER: SECRET}))
    ) as client:
        first = await client.post(PATH, content=body, headers=_signed(body))
        again = await client.post(PATH, content=body, headers=_signed(body))

    assert (first.status_code, again.status_code) == (202, 202)
    records = await read_all(kafka_bootstrap, topics.events)
    assert len(records) == 1
    assert b"replacement" not in records[0].value  # the agent's words travel sealed
    event = decode_amazon_event(records[0].value, codec=CODEC)
    assert isinstance(event, HelpdeskUpdateReceived)
    assert (event.seller_id, event.ticket_id, event.comment_id) == (SELLER, ticket_id, 501)
    assert event.comment_public
    assert event.text == "We are sending a replacement."
    assert event.source is SignalSource.HELPDESK


def _wire(headers: dict[str, str | bytes]) -> list[tuple[bytes, bytes]]:
    return [(k.encode(), v if isinstance(v, bytes) else v.encode()) for k, v in headers.items()]


def _refusals(body: bytes) -> dict[str, dict[str, str | bytes]]:
    return {
        "wrong-secret": dict(_signed(body, secret="another-secret-of-16+")),
        "replayed": dict(_signed(body, at=datetime.now(UTC) - timedelta(minutes=6))),
        "from-the-future": dict(_signed(body, at=datetime.now(UTC) + timedelta(minutes=6))),
        "non-ascii": {**_signed(body), SIGNATURE_HEADER: ("\u00e9" * 44).encode("latin-1")},
        "bad-timestamp": {TIMESTAMP_HEADER: "yesterday", SIGNATURE_HEADER: "x"},
        "unsigned": {},
    }


async def test_a_bad_signature_or_a_replay_is_refused_and_nothing_is_published(
    make_deps: DepsFactory, topics: Topics, kafka_bootstrap: str
) -> None:
    body = _comment(uuid.uuid4())
    async with serving(
        make_deps(settings=ingest_settings(zendesk_webhook_secrets={SELLER: SECRET}))
    ) as client:
        answers = {
            case: (await client.post(PATH, content=body, headers=_wire(headers))).status_code
            for case, headers in _refusals(body).items()
        }
        answers["other-seller"] = (
            await client.post("/v1/zendesk/SOMEONE/webhook", content=body, headers=_signed(body))
        ).status_code

    assert answers == dict.fromkeys(answers, 401)
    assert await read_all(kafka_bootstrap, topics.events) == []
    assert await read_all(kafka_bootstrap, topics.rejected) == []


_UNREADABLE = {
    "nul-bytes": b"\x00not json\x00",
    "other-type": json.dumps({"type": "zen:event-type:ticket.deleted", "detail": {}, "event": {}}).encode(),
    "foreign-external-id": json.dumps(
        {
            "type": "zen:event-type:ticket.comment_added",
            "detail": {"id": "1", "external_id": "ORDER-1"},
            "event": {"comment": {"id": "2", "body": "x"}},
        }
    ).encode(),
}


async def test_a_signed_body_we_cannot_read_is_400_and_kept_with_its_reason(
    make_deps: DepsFactory, topics: Topics, kafka_bootstrap: str
) -> None:
    async with serving(
        make_deps(settings=ingest_settings(zendesk_webhook_secrets={SELLER: SECRET}))
    ) as client:
        answers = [
            await client.post(PATH, content=body, headers=_signed(body)) for body in _UNREADABLE.values()
        ]

    assert [a.status_code for a in answers] == [400] * len(_UNREADABLE)
    assert all("zendesk webhook" in a.json()["error"] for a in answers)
    rejected = await read_all(kafka_bootstrap, topics.rejected)
    assert sorted(CODEC.unseal_raw(record.value) for record in rejected) == sorted(_UNREADABLE.values())
    assert {header(record, "dlq.source") for record in rejected} == {"zendesk"}
    assert await read_all(kafka_bootstrap, topics.events) == []
