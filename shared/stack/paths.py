"""Where the local stack keeps its files (state file, embedded PostgreSQL data, logs)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

__all__ = ["STACK_DIR_ENV", "repo_root", "stack_dir"]

STACK_DIR_ENV = "STACK_DIR"


def repo_root() -> Path:
    """The source checkout holding this package, or the working directory for an installed copy."""
    candidate = Path(__file__).resolve().parents[2]
    return candidate if (candidate / "pyproject.toml").is_file() else Path.cwd()


def stack_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$STACK_DIR`` if set, else ``.stack`` in the repository root."""
    env = os.environ if environ is None else environ
    override = env.get(STACK_DIR_ENV)
    return Path(override) if override else repo_root() / ".stack"
