"""Tracing in tests: OpenTelemetry's global tracer provider can be set once per process, and
``shared.tracing.configure_tracing`` keeps the first one it made. A test that configures tracing (exporter off,
or recording into memory) would decide the provider of every later test in the session, so the
``isolated_tracing`` fixture gives a test (or module) a clean slate and restores it afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.util._once import Once

import shared.tracing

__all__ = ["isolated_tracing", "reset_global_tracing"]


def reset_global_tracing() -> None:
    """Forget the global provider and ``configure_tracing``'s memo (test support only)."""
    shared.tracing._configured.clear()
    trace._TRACER_PROVIDER_SET_ONCE = Once()
    trace._TRACER_PROVIDER = None


@pytest.fixture(scope="module")
def isolated_tracing() -> Iterator[None]:
    """No tracer provider configured when the module starts, and none left behind when it ends."""
    reset_global_tracing()
    yield
    reset_global_tracing()
