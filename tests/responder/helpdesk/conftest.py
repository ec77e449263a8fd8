"""Fixtures for the Zendesk sync tests: a fresh stand-in on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from shared.stack.zendesk_standin import ZendeskHandle, start_zendesk


@pytest_asyncio.fixture
async def zendesk() -> AsyncIterator[ZendeskHandle]:
    """A fresh Zendesk stand-in on a loopback port."""
    handle = await start_zendesk()
    yield handle
    await handle.stop()
