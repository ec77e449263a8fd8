"""A scripted ``httpx.MockTransport`` for narrow client tests: LWA plus queued SP-API answers."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict, deque
from typing import Any

import httpx
from pydantic import SecretStr

from shared.settings import SpApiSettings
from shared.spapi import DEFAULT_RATE_LIMITS, RateLimit, RetryPolicy, SpApiClient

__all__ = ["FAST_LIMITS", "FAST_RETRY", "LWA_URL", "NA", "MockAmazon", "body", "error", "form"]

LWA_URL = "https://api.amazon.test/auth/o2/token"
NA = "https://sellingpartnerapi-na.amazon.com"
FAST_LIMITS = {op: RateLimit(1000.0, 100) for op in DEFAULT_RATE_LIMITS}
FAST_RETRY = RetryPolicy(max_attempts=4, base_delay_s=0.001, max_delay_s=0.005)

Answer = httpx.Response | Exception


def error(status: int, code: str, message: str, details: str = "") -> httpx.Response:
    """An SP-API error answer."""
    return httpx.Response(status, json={"errors": [{"code": code, "message": message, "details": details}]})


class MockAmazon:
    """LWA that issues ``Atza|<n>`` tokens, and SP-API paths answering from per-path queues (default 200 {})."""

    def __init__(self, *, lwa_delay_s: float = 0.0, expires_in: int = 3600) -> None:
        self.requests: list[httpx.Request] = []
        self.lwa_requests: list[httpx.Request] = []
        self.answers: dict[str, deque[Answer]] = defaultdict(deque)
        self.lwa_answers: deque[Answer] = deque()
        self.lwa_delay_s = lwa_delay_s
        self.expires_in = expires_in

    def queue(self, path: str, *answers: Answer) -> None:
        """Answer the next requests to ``path`` with these, in order."""
        self.answers[path].extend(answers)

    def calls(self, path: str) -> list[httpx.Request]:
        """SP-API requests made to ``path``."""
        return [r for r in self.requests if r.url.path == path]

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == LWA_URL:
            self.lwa_requests.append(request)
            await asyncio.sleep(self.lwa_delay_s)
            return self._next(self.lwa_answers, request) or httpx.Response(
                200,
                json={
                    "access_token": f"Atza|{len(self.lwa_requests)}",
                    "refresh_token": "echo",
                    "token_type": "bearer",
                    "expires_in": self.expires_in,
                },
            )
        self.requests.append(request)
        return self._next(self.answers[request.url.path], request) or httpx.Response(200, json={})

    @staticmethod
    def _next(queue: deque[Answer], request: httpx.Request) -> httpx.Response | None:
        if not queue:
            return None
        answer = queue.popleft()
        if isinstance(answer, Exception):
            raise answer
        return answer

    def settings(self, endpoint: str = NA, sellers: dict[str, str] | None = None) -> SpApiSettings:
        """Settings for a client of this mock."""
        return SpApiSettings(
            endpoint=endpoint,
            lwa_endpoint=LWA_URL,
            lwa_client_id="amzn1.application-oa2-client.test",
            lwa_client_secret=SecretStr("client-secret"),
            refresh_tokens={s: SecretStr(t) for s, t in (sellers or {"S1": "Atzr|one"}).items()},
            timeout_s=1.0,
        )

    def client(self, endpoint: str = NA, **kwargs: Any) -> SpApiClient:
        """An ``SpApiClient`` on this transport with fast pacing and retries unless overridden."""
        http = httpx.AsyncClient(transport=httpx.MockTransport(self.handle))
        kwargs.setdefault("retry", FAST_RETRY)
        kwargs.setdefault("rate_limits", FAST_LIMITS)
        return SpApiClient(self.settings(endpoint), http=http, **kwargs)


def form(request: httpx.Request) -> dict[str, str]:
    """The url-encoded form of a request."""
    return dict(httpx.QueryParams(request.content.decode()))


def body(request: httpx.Request) -> Any:
    """The JSON body of a request."""
    return json.loads(request.content)
