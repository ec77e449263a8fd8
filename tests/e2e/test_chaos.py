"""A short fault campaign (every fault kind once) on the real stack: nothing lost, nobody messaged twice, no
reply to a spoofed address. ``make chaos`` runs the long one; CHAOS_SEED replays a given schedule."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from complaints.devrun.chaos import CampaignConfig, run_campaign

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1200)]

SEED = int(os.environ.get("CHAOS_SEED", "20261203"))


@pytest.fixture
def work_dir() -> Iterator[Path]:
    """Outside pytest's tmp_path: a pytest session starting meanwhile makes that folder root-only again, and
    the embedded PostgreSQL (running as its own system user) could then no longer be restarted or stopped."""
    folder = Path(tempfile.mkdtemp(prefix="complaints-chaos-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


async def test_short_campaign_keeps_the_invariants(work_dir: Path) -> None:
    config = CampaignConfig(work_dir, duration_s=75, rate=2.0, repeats=1, seed=SEED, drain_timeout_s=240)
    result = await run_campaign(config)
    report = result.report
    assert report.drained, report.notes
    assert sum(report.inputs.values()) > 100
    assert {kind for kind, _, _ in report.recovery} == set(config.faults)
    assert report.lost == [], f"seed {result.seed}; logs in {result.log_dir}"
    assert report.messaged_twice == [], f"seed {result.seed}; logs in {result.log_dir}"
    assert report.spoofed_replies == [], f"seed {result.seed}; logs in {result.log_dir}"
