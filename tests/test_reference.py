"""reference_dir: the reference folder's paths, a skip locally and a failure under CI when one is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import reference
from tests.reference import reference_dir


@pytest.fixture
def root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A reference folder holding only ``spapi/messaging.json``."""
    (tmp_path / "spapi").mkdir()
    (tmp_path / "spapi" / "messaging.json").write_text("{}")
    monkeypatch.setattr(reference, "REFERENCE_ROOT", tmp_path)
    return tmp_path


def test_a_present_path_is_returned(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert reference_dir("spapi", "messaging.json") == root / "spapi" / "messaging.json"
    assert reference_dir() == root


@pytest.mark.parametrize("ci", ["true", "1", "yes", "TRUE"])
def test_a_missing_path_fails_under_ci_naming_it(
    root: Path, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception) as failed:
        reference_dir("corpus", "dev.jsonl")
    assert f"reference material missing: {root / 'corpus' / 'dev.jsonl'}" in str(failed.value)


@pytest.mark.parametrize("ci", [None, "", "false", "0", "no"])
def test_a_missing_path_skips_locally_with_the_same_reason(
    root: Path, monkeypatch: pytest.MonkeyPatch, ci: str | None
) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception) as skipped:
        reference_dir("corpus", "dev.jsonl")
    assert str(skipped.value).startswith(f"reference material missing: {root / 'corpus' / 'dev.jsonl'}")


def test_the_default_root_is_the_shared_folder_beside_the_repository() -> None:
    repo = Path(__file__).resolve().parents[1]
    assert repo.parent / "shared" == reference.REFERENCE_ROOT
