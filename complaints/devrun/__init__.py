"""`complaints run`: the whole system on embedded defaults, with a demo, until Ctrl-C."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from complaints.devrun.run import run_everything

__all__ = ["run_everything"]


def __getattr__(name: str) -> Any:
    # Lazy: every `complaints` command reads the light env file module; only `run` needs the whole stack.
    if name == "run_everything":
        from complaints.devrun.run import run_everything

        return run_everything
    raise AttributeError(name)
