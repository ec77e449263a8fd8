"""A producer whose event publishes fail the way a broker outage fails them (RetryableError)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from shared.errors import RetryableError
from shared.events import EventBase
from shared.kafka.producer import EventProducer, Header
from shared.settings import KafkaSettings

__all__ = ["UnackedProducer"]


class UnackedProducer(EventProducer):
    """Looks connected, but no event publish is ever acked; dead letters still go through ``inner``."""

    def __init__(self, inner: EventProducer) -> None:
        super().__init__(KafkaSettings(), codec=inner.codec)
        self._inner = inner

    async def ping(self) -> bool:
        return True

    async def publish_many(
        self, topic: str, events: Iterable[EventBase], *, headers: Sequence[Header] = ()
    ) -> None:
        raise RetryableError("kafka publish failed: KafkaTimeoutError", code="kafka")

    async def send_raw(
        self, topic: str, *, key: bytes | None, value: bytes | None, headers: Sequence[Header] = ()
    ) -> None:
        await self._inner.send_raw(topic, key=key, value=value, headers=headers)
