"""Login with Amazon: refresh-token exchange, cached per refresh token, refreshed ahead of expiry, single-flight."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from shared.settings import SpApiSettings
from shared.spapi.errors import (
    AuthorizationError,
    ServiceUnavailableError,
    SpApiConnectionError,
    SpApiError,
    SpApiPermanentError,
    ThrottledError,
)

__all__ = ["AccessToken", "LwaClient"]

log = logging.getLogger(__name__)
_OPERATION = "lwaToken"


@dataclass(frozen=True)
class AccessToken:
    """An access token and when (client clock) to stop using it."""

    value: str
    refresh_at: float
    expires_at: float


class LwaClient:
    """Access tokens for sellers, exchanged from their refresh tokens in ``SpApiSettings``.

    One exchange per refresh token serves every concurrent caller; a token is replaced ``refresh_ahead_s``
    before it expires (at most half its lifetime, for short-lived tokens) so no call goes out with a token
    that expires in flight.
    """

    def __init__(
        self,
        settings: SpApiSettings,
        http: httpx.AsyncClient,
        *,
        refresh_ahead_s: float = 60.0,
        max_attempts: int = 3,
        backoff_s: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._http = http
        self._ahead = refresh_ahead_s
        self._max_attempts = max_attempts
        self._backoff = backoff_s
        self._clock = clock
        self._cache: dict[str, AccessToken] = {}
        self._inflight: dict[str, asyncio.Task[AccessToken]] = {}
        self._keys: dict[str, str] = {}  # refresh token -> its cache key (hashed once, not per call)
        self.exchanges = 0

    async def access_token(self, seller_id: str) -> str:
        """A valid access token for the seller, exchanging the refresh token only when needed."""
        refresh_token = self._refresh_token(seller_id)
        key = self._key(refresh_token)
        cached = self._cache.get(key)
        if cached is not None and self._clock() < cached.refresh_at:
            return cached.value
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._exchange(key, refresh_token, seller_id))
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._forget(key, done))
        # shield: one caller giving up must not cancel the exchange the others are waiting for.
        token = await asyncio.shield(task)
        return token.value

    def invalidate(self, seller_id: str, token: str) -> None:
        """Drop the cached token if it is still ``token`` (Amazon rejected it)."""
        refresh_token = self._settings.refresh_tokens.get(seller_id)
        if refresh_token is None:
            return
        key = self._key(refresh_token.get_secret_value())
        cached = self._cache.get(key)
        if cached is not None and cached.value == token:
            del self._cache[key]

    def _key(self, refresh_token: str) -> str:
        key = self._keys.get(refresh_token)
        if key is None:
            key = self._keys[refresh_token] = hashlib.sha256(refresh_token.encode()).hexdigest()
        return key

    def _refresh_token(self, seller_id: str) -> str:
        secret = self._settings.refresh_tokens.get(seller_id)
        if secret is None:
            raise AuthorizationError(
                f"no refresh token configured for seller {seller_id}", operation=_OPERATION
            )
        return secret.get_secret_value()

    def _forget(self, key: str, done: asyncio.Task[AccessToken]) -> None:
        if self._inflight.get(key) is done:
            del self._inflight[key]
        if not done.cancelled():
            done.exception()  # retrieved here so an unawaited failure is not reported as lost

    async def _exchange(self, key: str, refresh_token: str, seller_id: str) -> AccessToken:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": self._settings.lwa_client_id,
            "client_secret": self._settings.lwa_client_secret.get_secret_value(),
        }
        for attempt in range(1, self._max_attempts + 1):
            try:
                token = await self._post(form)
            except (SpApiConnectionError, ServiceUnavailableError, ThrottledError):
                if attempt >= self._max_attempts:
                    raise
                log.warning("spapi.lwa.retry", extra={"seller_id": seller_id, "attempt": attempt})
                await asyncio.sleep(self._backoff * 2.0 ** (attempt - 1) * (0.5 + random.random() / 2))
                continue
            self._cache[key] = token
            self.exchanges += 1
            log.info("spapi.lwa.exchanged", extra={"seller_id": seller_id})
            return token
        raise AssertionError("unreachable")  # pragma: no cover

    async def _post(self, form: dict[str, str]) -> AccessToken:
        try:
            response = await self._http.post(
                self._settings.lwa_endpoint,
                data=form,
                headers={"content-type": "application/x-www-form-urlencoded;charset=UTF-8"},
            )
        except httpx.TransportError as exc:
            raise SpApiConnectionError(
                f"LWA unreachable: {type(exc).__name__}", operation=_OPERATION
            ) from exc
        status = response.status_code
        if status == 200:
            return self._parse(response)
        error, description = _oauth_error(response)
        kind: type[SpApiError] = AuthorizationError
        if status == 429:
            kind = ThrottledError
        elif status >= 500:
            kind = ServiceUnavailableError
        raise kind(
            f"LWA answered {status} {error or ''}".rstrip(),
            operation=_OPERATION,
            status=status,
            amazon_code=error,
            amazon_message=description,
        )

    def _parse(self, response: httpx.Response) -> AccessToken:
        try:
            body = response.json()
            value = str(body["access_token"])
            lifetime = float(body["expires_in"])
        except (ValueError, KeyError, TypeError) as exc:
            raise SpApiPermanentError(
                "LWA answered 200 without a usable token", operation=_OPERATION
            ) from exc
        now = self._clock()
        ahead = min(self._ahead, lifetime / 2)
        return AccessToken(value=value, refresh_at=now + lifetime - ahead, expires_at=now + lifetime)


def _oauth_error(response: httpx.Response) -> tuple[str | None, str | None]:
    try:
        body = response.json()
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    error, description = body.get("error"), body.get("error_description")
    return (str(error) if error else None, str(description) if description else None)
