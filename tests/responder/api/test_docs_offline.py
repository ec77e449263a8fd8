"""/docs and /redoc load every asset from the API process itself: no CDN, so they render on a closed network."""

from __future__ import annotations

import re

import httpx
import pytest


@pytest.mark.parametrize(("page", "kind"), [("/docs", "swagger"), ("/redoc", "redoc")])
async def test_doc_pages_load_their_assets_from_the_api_itself(
    client: httpx.AsyncClient, page: str, kind: str
) -> None:
    html = (await client.get(page)).text
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html) + re.findall(
        r"""url:\s*["']([^"']+)["']""", html
    )
    assert urls
    outside = [u for u in urls if re.match(r"^(https?:)?//", u)]
    assert outside == [], outside
    assets = [u for u in urls if u.endswith((".js", ".css"))]
    assert any(kind in u for u in assets), assets
    for url in assets:
        response = await client.get(url)
        assert response.status_code == 200, url
        assert len(response.content) > 10_000  # the real bundle, not a stub
    assert (await client.get("/openapi.json")).status_code == 200
