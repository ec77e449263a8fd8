"""Render the kustomize overlays and walk the rendered objects (no cluster needed)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "CRD_KINDS",
    "DEPLOY",
    "OVERLAYS",
    "REPO_ROOT",
    "WORKLOAD_COMPONENTS",
    "Obj",
    "containers",
    "deployment",
    "find",
    "label",
    "load",
    "pod_templates",
    "render",
    "venv_tool",
]

Obj = dict[str, Any]

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy"
OVERLAYS = ("dev", "prod")
WORKLOAD_COMPONENTS = ("ingest", "classifier", "responder", "api")
CRD_KINDS = frozenset({"KafkaTopic", "ScaledObject", "ServiceMonitor", "ExternalSecret", "PrometheusRule"})
"""Custom resources: not in kubernetes-validate's schemas, checked by tests/deploy/crd_checks.py instead."""


def venv_tool(name: str) -> Path:
    """A console script installed next to the running interpreter (the project's .venv)."""
    return Path(sys.executable).parent / name


def render(overlay: str) -> str:
    """``kubectl kustomize deploy/overlays/<overlay>`` as YAML text."""
    result = subprocess.run(
        [str(venv_tool("kubectl")), "kustomize", str(DEPLOY / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def load(text: str) -> list[Obj]:
    """All non-empty YAML documents."""
    return [doc for doc in yaml.safe_load_all(text) if doc]


def find(objs: list[Obj], kind: str) -> list[Obj]:
    """Objects of one kind."""
    return [obj for obj in objs if obj["kind"] == kind]


def label(obj: Obj, key: str) -> str | None:
    """A metadata label, or None."""
    value = obj["metadata"].get("labels", {}).get(key)
    return None if value is None else str(value)


def deployment(objs: list[Obj], component: str) -> Obj:
    """The Deployment of a component (ingest, classifier, responder, api)."""
    matches = [
        obj for obj in find(objs, "Deployment") if label(obj, "app.kubernetes.io/component") == component
    ]
    assert len(matches) == 1, f"expected one Deployment for {component}, found {len(matches)}"
    return matches[0]


def pod_templates(objs: list[Obj]) -> Iterator[tuple[str, Obj]]:
    """(``Kind/name``, pod template) of every object that runs pods."""
    for obj in objs:
        if obj["kind"] in {"Deployment", "Job", "StatefulSet", "DaemonSet"}:
            yield f"{obj['kind']}/{obj['metadata']['name']}", obj["spec"]["template"]


def containers(pod_spec: Obj) -> list[Obj]:
    """Init and regular containers of a pod spec."""
    return [*pod_spec.get("initContainers", []), *pod_spec["containers"]]
