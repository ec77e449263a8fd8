"""checkov finds nothing in the rendered overlays or the Dockerfile; every suppression says why.

checkov lives in its own venv (.tools/checkov-venv, deploy/tools/install-checkov.sh) because its pins
conflict with the project's lock. If it cannot be installed the tests fail, unless SKIP_CHECKOV=1.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.support import DEPLOY, REPO_ROOT

CHECKOV_VENV = Path(os.environ.get("CHECKOV_VENV", REPO_ROOT / ".tools" / "checkov-venv"))


@pytest.fixture(scope="session")
def checkov() -> Path:
    """The checkov executable, installed on first use."""
    if os.environ.get("SKIP_CHECKOV") == "1":
        pytest.skip("SKIP_CHECKOV=1")
    result = subprocess.run(
        [str(DEPLOY / "tools" / "install-checkov.sh")],
        env={**os.environ, "CHECKOV_VENV": str(CHECKOV_VENV)},
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert result.returncode == 0, (
        f"checkov could not be installed (SKIP_CHECKOV=1 to skip):\n{result.stderr}"
    )
    return CHECKOV_VENV / "bin" / "checkov"


def _scan(checkov: Path, framework: str, target: Path) -> dict[str, Any]:
    result = subprocess.run(
        [
            str(checkov),
            "--skip-download",
            "--framework",
            framework,
            "--file",
            str(target),
            "--output",
            "json",
        ],
        cwd=target.parent,
        # No telemetry, no calls home: the scan must work offline.
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.stdout, result.stderr
    report = json.loads(result.stdout)
    assert isinstance(report, dict), "one framework gives one report"
    return report


def _assert_clean(report: dict[str, Any]) -> None:
    summary = report["summary"]
    assert summary["parsing_errors"] == 0
    assert summary["passed"] > 0, "nothing was scanned"
    failed = [
        f"{c['check_id']} {c['resource']}: {c['check_name']}" for c in report["results"]["failed_checks"]
    ]
    assert not failed, "\n".join(failed)
    for check in report["results"]["skipped_checks"]:
        # A suppression without a reason is a finding hidden, not a finding justified.
        reason = (check["check_result"].get("suppress_comment") or "").strip()
        assert len(reason) > 15, f"{check['check_id']} on {check['resource']} is skipped without a reason"


def test_rendered_overlay_has_no_checkov_findings(checkov: Path, rendered_file: Path) -> None:
    _assert_clean(_scan(checkov, "kubernetes", rendered_file))


def test_dockerfile_has_no_checkov_findings(checkov: Path) -> None:
    _assert_clean(_scan(checkov, "dockerfile", DEPLOY / "Dockerfile"))


def test_checkov_reports_a_known_bad_pod(checkov: Path, tmp_path: Path) -> None:
    """Control: the scan really evaluates Kubernetes checks (a privileged root pod must fail)."""
    manifest = tmp_path / "bad.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: bad, namespace: x}\n"
        "spec:\n  containers:\n  - name: c\n    image: busybox:latest\n"
        "    securityContext: {privileged: true, runAsUser: 0}\n"
    )
    report = _scan(checkov, "kubernetes", manifest)
    failed = {c["check_id"] for c in report["results"]["failed_checks"]}
    assert {"CKV_K8S_16", "CKV_K8S_14"} <= failed
