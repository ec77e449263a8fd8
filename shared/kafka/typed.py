"""Typed consumption: the loop decodes each record by its topic before the handler sees it.

Handlers get ``Consumed[E]``: the decoded pydantic event and what they may still need of the record (topic,
partition, offset, key, headers). A record that cannot be decoded raises inside the loop's handler call, so it
is classified exactly like before (``ValidationError``/``PermanentError``: replayed one by one, dead-lettered
with the reason); a topic without a decoder is permanent too.

``only`` (topic -> event types) lets a consumer pass over, undecoded, the records of a shared topic whose
``event_type`` header names a type it does not handle: the responder reads amazon.events.v1 for order context
only, and opening and validating every complaint signal there cost it about a tenth of its CPU (issue 14).
A record without the header is decoded as before; what is passed over is validated by its own consumer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from shared.errors import PermanentError
from shared.kafka.consumer import BatchHandler, Record, header_value

__all__ = ["Consumed", "Decoder", "TypedBatchHandler", "decode_records", "decoding"]

E_co = TypeVar("E_co", covariant=True)
E = TypeVar("E")

Decoder = Callable[[bytes | None], E]
"""Record value -> event (raises ``ValidationError`` or ``PermanentError``)."""


@dataclass(frozen=True, slots=True)
class Consumed(Generic[E_co]):
    """A decoded event with the record coordinates and headers it came with."""

    event: E_co
    topic: str
    partition: int
    offset: int
    key: bytes | None
    headers: Sequence[tuple[str, bytes]]

    def header(self, name: str) -> str | None:
        """A header value as text, or None."""
        return header_value(self.headers, name)


TypedBatchHandler = Callable[[Sequence[Consumed[E]]], Awaitable[None]]


def decode_records(
    records: Sequence[Record],
    decoders: Mapping[str, Decoder[E]],
    *,
    only: Mapping[str, Collection[str]] | None = None,
) -> list[Consumed[E]]:
    """Decode each record with its topic's decoder (raises on the first record that does not decode); with
    ``only``, records of those topics whose ``event_type`` header names another type are left out."""
    out: list[Consumed[E]] = []
    for record in records:
        wanted = only.get(record.topic) if only else None
        if wanted is not None:
            event_type = header_value(record.headers, "event_type")
            if event_type is not None and event_type not in wanted:
                continue
        decode = decoders.get(record.topic)
        if decode is None:
            raise PermanentError(f"no decoder for topic {record.topic}", code="unknown_topic")
        out.append(
            Consumed(
                event=decode(record.value),
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
                key=record.key,
                headers=tuple(record.headers or ()),
            )
        )
    return out


def decoding(
    decoders: Mapping[str, Decoder[E]],
    handler: TypedBatchHandler[E],
    *,
    only: Mapping[str, Collection[str]] | None = None,
) -> BatchHandler:
    """The loop's batch handler: decode by topic (see ``only``), then call the typed ``handler``."""

    async def on_records(records: Sequence[Record]) -> None:
        await handler(decode_records(records, decoders, only=only))

    return on_records
