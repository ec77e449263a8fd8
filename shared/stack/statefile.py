"""The state file of a detached local stack (``.stack/state.json``): who runs it and where it answers."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.stack.endpoints import StackEndpoints

__all__ = ["StackState", "pid_alive", "read_state", "remove_state", "write_state"]


@dataclass(frozen=True, slots=True)
class StackState:
    """Contents of the state file."""

    pid: int
    started_at: str
    endpoints: StackEndpoints

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict, including the resulting environment for other tools to read."""
        return {
            "pid": self.pid,
            "started_at": self.started_at,
            "endpoints": self.endpoints.to_json(),
            "env": self.endpoints.env(),
        }


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no procfs: trust the signal probe
    # Field 3, after the parenthesised command name, is the state; an unreaped exited child shows "Z".
    return stat.rpartition(")")[2].split()[0] != "Z"


def write_state(path: Path, endpoints: StackEndpoints, pid: int | None = None) -> StackState:
    """Write the state file atomically (a reader never sees half of it)."""
    state = StackState(
        pid=os.getpid() if pid is None else pid,
        started_at=datetime.now(UTC).isoformat(),
        endpoints=endpoints,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(state.to_json(), indent=2))
    os.replace(tmp, path)
    return state


def read_state(path: Path) -> StackState | None:
    """The state in ``path``, or None if there is no (readable) state file."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return StackState(
        pid=int(data["pid"]),
        started_at=str(data["started_at"]),
        endpoints=StackEndpoints.from_json(data["endpoints"]),
    )


def remove_state(path: Path, *, pid: int | None = None) -> None:
    """Remove the state file; with ``pid``, only if it still belongs to that process."""
    if pid is not None:
        state = read_state(path)
        if state is None or state.pid != pid:
            return
    path.unlink(missing_ok=True)
