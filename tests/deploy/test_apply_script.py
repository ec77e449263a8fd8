"""deploy/apply.sh applies the phases in order and stops before the services if the migration fails.

No cluster here: KUBECTL points at a stand-in that renders with the real kubectl, answers ``apply -o name``
from the rendered file (like the API server would) and records every call.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.support import DEPLOY, venv_tool

_STAND_IN = """#!{python}
import json, os, subprocess, sys
import yaml
args = sys.argv[1:]
with open(os.environ["KUBECTL_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
if args[0] == "kustomize":
    sys.exit(subprocess.run([os.environ["REAL_KUBECTL"], *args]).returncode)
if args[0] == "apply":
    path = args[args.index("--filename") + 1]
    key, _, value = args[args.index("--selector") + 1].partition("=")
    with open(path) as f:
        for obj in (d for d in yaml.safe_load_all(f) if d):
            if obj["metadata"].get("labels", {{}}).get(key) == value:
                group = obj["apiVersion"].rpartition("/")[0]
                kind = obj["kind"].lower() + ("." + group if group else "")
                print(f"{{kind}}/{{obj['metadata']['name']}}")
    sys.exit(0)
if args[0] == "wait" and args[-1] == os.environ.get("FAIL_WAIT_FOR", "-"):
    sys.exit(1)
"""


def _run(tmp_path: Path, **extra_env: str) -> tuple[subprocess.CompletedProcess[str], list[list[str]]]:
    stand_in = tmp_path / "kubectl"
    stand_in.write_text(_STAND_IN.format(python=sys.executable))
    stand_in.chmod(0o755)
    log = tmp_path / "calls.jsonl"
    env = {
        **os.environ,
        "KUBECTL": str(stand_in),
        "REAL_KUBECTL": str(venv_tool("kubectl")),
        "KUBECTL_LOG": str(log),
        **extra_env,
    }
    result = subprocess.run(
        [str(DEPLOY / "apply.sh"), str(DEPLOY / "overlays" / "dev")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return result, calls


def _step(call: list[str]) -> str:
    """``apply <phase>`` for an apply, else the verb."""
    if call[0] == "apply":
        return "apply " + call[call.index("--selector") + 1].rpartition("=")[2]
    return call[0]


def test_phases_are_applied_in_order_with_waits(tmp_path: Path) -> None:
    result, calls = _run(tmp_path)
    assert result.returncode == 0, result.stderr
    assert [_step(c) for c in calls] == [
        "kustomize",
        "apply topics",
        "wait",
        "apply platform",
        "wait",
        "apply migrate",
        "wait",
        "apply services",
        "rollout",
        "rollout",
        "rollout",
        "rollout",
    ]
    assert calls[4][-1] == "externalsecret/complaints-secrets"
    assert calls[6][-1] == "job.batch/complaints-migrate-0.1.0"
    assert all("complaints-dev" in c for c in calls[4:7:2] + calls[8:])
    assert sorted(c[-1] for c in calls[8:]) == [
        f"deployment.apps/complaints-{name}" for name in ("api", "classifier", "ingest", "responder")
    ]


@pytest.mark.parametrize(
    "failing", ["job.batch/complaints-migrate-0.1.0", "externalsecret/complaints-secrets"]
)
def test_services_are_not_touched_when_a_prerequisite_is_not_ready(tmp_path: Path, failing: str) -> None:
    result, calls = _run(tmp_path, FAIL_WAIT_FOR=failing)
    assert result.returncode != 0
    assert "apply services" not in [_step(c) for c in calls]
    assert calls[-1][0] == "wait"
    assert calls[-1][-1] == failing
