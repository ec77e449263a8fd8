"""HTML answers of the console: Jinja2 templates (autoescaped) under a strict Content-Security-Policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

__all__ = ["POLICY", "STATIC", "render"]

_HERE = Path(__file__).parent
STATIC = _HERE / "static"
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
"""Only this origin's files: no inline script or style, nothing from elsewhere, no framing."""

_env = Environment(
    loader=FileSystemLoader(_HERE / "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(
    name: str, status: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    """A page or fragment with the console's policy and no caching (it shows a session's data)."""
    return HTMLResponse(
        _env.get_template(name).render(**context),
        status_code=status,
        headers={"Content-Security-Policy": POLICY, "Cache-Control": "no-store", **(headers or {})},
    )
