"""Local stand-ins and the local stack the project runs against (never imported by services in production).

``LocalStack`` composes the parts; each module also works alone: ``kafka`` (Tansu broker), ``postgres``
(server selection, database create/drop), ``aws`` (moto + resources), ``smtp`` (recording SMTP server).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.stack.endpoints import StackEndpoints
    from shared.stack.local import LocalStack, StandinHandle

__all__ = ["LocalStack", "StackEndpoints", "StandinHandle"]


def __getattr__(name: str) -> Any:
    # Lazy: importing a light submodule (ports, the CLI's state file, the stand-in) must not load every client.
    if name == "StackEndpoints":
        from shared.stack.endpoints import StackEndpoints

        return StackEndpoints
    if name in ("LocalStack", "StandinHandle"):
        from shared.stack import local

        return getattr(local, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
