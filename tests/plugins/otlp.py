"""A small OTLP/HTTP trace receiver on loopback: services run as processes export their spans to it."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest_asyncio
from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from shared.stack.ports import free_port

__all__ = ["OtlpReceiver", "ReceivedSpan", "otlp_receiver"]


@dataclass(frozen=True)
class ReceivedSpan:
    """One exported span, ids as hex."""

    service: str
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    start_ns: int
    end_ns: int
    attributes: dict[str, str]
    texts: tuple[str, ...]  # every string the span carries: name, status, attributes, events, links, resource
    links: tuple[str, ...] = field(default=())  # trace ids of the linked spans


def _value(value: AnyValue) -> str:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return ",".join(_value(v) for v in value.array_value.values)
    if kind == "kvlist_value":
        return ",".join(f"{kv.key}={_value(kv.value)}" for kv in value.kvlist_value.values)
    if kind == "bytes_value":
        return value.bytes_value.decode("utf-8", "replace")
    return "" if kind is None else str(getattr(value, kind))


def _pairs(attributes: object) -> dict[str, str]:
    return {kv.key: _value(kv.value) for kv in attributes if isinstance(kv, KeyValue)}  # type: ignore[attr-defined]


class OtlpReceiver:
    """Collects the spans posted to ``<url>/v1/traces`` (protobuf, optionally gzip)."""

    def __init__(self) -> None:
        self.spans: list[ReceivedSpan] = []
        self.port = free_port()
        self._runner: web.AppRunner | None = None
        self._arrived = asyncio.Event()

    @property
    def url(self) -> str:
        """The value for OTEL_EXPORTER_OTLP_ENDPOINT."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Listen on loopback."""
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_post("/v1/traces", self._traces)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def _traces(self, request: web.Request) -> web.Response:
        body = await request.read()
        if request.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        export = ExportTraceServiceRequest.FromString(body)
        for resource_spans in export.resource_spans:
            resource = _pairs(resource_spans.resource.attributes)
            for scope in resource_spans.scope_spans:
                for span in scope.spans:
                    attributes = _pairs(span.attributes)
                    texts = [span.name, span.status.message, *attributes.values(), *resource.values()]
                    for event in span.events:
                        texts += [event.name, *_pairs(event.attributes).values()]
                    for link in span.links:
                        texts += list(_pairs(link.attributes).values())
                    self.spans.append(
                        ReceivedSpan(
                            service=resource.get("service.name", ""),
                            name=span.name,
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            start_ns=span.start_time_unix_nano,
                            end_ns=span.end_time_unix_nano,
                            attributes=attributes,
                            texts=tuple(texts),
                            links=tuple(link.trace_id.hex() for link in span.links),
                        )
                    )
        self._arrived.set()
        return web.Response(
            body=ExportTraceServiceResponse().SerializeToString(), content_type="application/x-protobuf"
        )

    def trace(self, trace_id: str) -> list[ReceivedSpan]:
        """The spans of one trace, oldest first."""
        return sorted((s for s in self.spans if s.trace_id == trace_id), key=lambda s: s.start_ns)

    async def wait_for(self, predicate: object, *, within: float = 30.0) -> list[ReceivedSpan]:
        """The spans once ``predicate(spans)`` holds (checked whenever an export arrives)."""
        async with asyncio.timeout(within):
            while True:
                if predicate(self.spans):  # type: ignore[operator]
                    return self.spans
                self._arrived.clear()
                await self._arrived.wait()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def otlp_receiver() -> AsyncIterator[OtlpReceiver]:
    """A started receiver for the session (e2e modules marked ``traced`` export to it)."""
    receiver = OtlpReceiver()
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()
