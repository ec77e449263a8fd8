"""`complaints run`: the whole system on embedded defaults, with a demo, until Ctrl-C."""

from __future__ import annotations

from shared.devrun.run import run_everything

__all__ = ["run_everything"]
