"""The environment of a running ``complaints run``, for the other ``complaints`` commands of the repository.

``complaints run`` writes what it gave its services (database, broker, AWS endpoints, peppers and keys, the
API's address) to ``.stack/run/env.json`` (mode 0600: it holds local secrets) and removes it on exit. A
``complaints`` command started in the repository while that process lives reads it, so ``keys create`` hashes
with the running API's pepper and ``dlq`` reads the running broker. Variables set in the caller's environment
win: the file only fills what is missing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, MutableMapping
from pathlib import Path

from shared.stack.statefile import pid_alive

__all__ = [
    "ENV_FILE_NAME",
    "apply_env_file",
    "find_env_file",
    "remove_env_file",
    "system_env",
    "write_env_file",
]

ENV_FILE_NAME = Path(".stack") / "run" / "env.json"


# The variables the settings read (``shared.settings`` and each service's) (section prefixes and the unprefixed ones), plus the API's address.
_PREFIXES = (
    "AWS_",
    "CLASSIFIER_",
    "DATABASE_",
    "INGEST_",
    "KAFKA_",
    "MAIL_",
    "RESPONDER_",
    "SPAPI_",
    "COMPLAINTS_",
)
_NAMES = frozenset({"ENVIRONMENT", "LOG_LEVEL", "LOG_JOURNEY"})


def system_env(env: Mapping[str, str]) -> dict[str, str]:
    """The part of a service environment that configures the system (not the caller's PATH, HOME...)."""
    return {k: v for k, v in env.items() if k.startswith(_PREFIXES) or k in _NAMES}


def write_env_file(path: Path, env: Mapping[str, str], *, pid: int | None = None) -> None:
    """Write ``env`` for process ``pid`` (default: this one), owner-only, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"pid": os.getpid() if pid is None else pid, "env": dict(env)}, handle, indent=2)
    os.replace(tmp, path)


def remove_env_file(path: Path, *, pid: int | None = None) -> None:
    """Remove the file if it belongs to ``pid`` (default: this process)."""
    owner = _read(path)
    if owner is not None and owner[0] == (os.getpid() if pid is None else pid):
        path.unlink(missing_ok=True)


def _read(path: Path) -> tuple[int, dict[str, str]] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        pid, env = int(data["pid"]), data["env"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(env, dict):
        return None
    return pid, {str(k): str(v) for k, v in env.items()}


def find_env_file(start: Path) -> Path | None:
    """The env file of a live ``complaints run`` in ``start`` or a folder above it, or None."""
    for folder in (start, *start.parents):
        candidate = folder / ENV_FILE_NAME
        found = _read(candidate)
        if found is not None and pid_alive(found[0]):
            return candidate
    return None


def apply_env_file(path: Path, environ: MutableMapping[str, str]) -> list[str]:
    """Fill the variables of ``path`` missing from ``environ``; the names filled."""
    found = _read(path)
    if found is None:
        return []
    filled = [name for name in sorted(found[1]) if name not in environ]
    for name in filled:
        environ[name] = found[1][name]
    return filled
