"""The outside reference folder (``../shared`` beside the repository): one way in, one verdict when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

__all__ = ["REFERENCE_ROOT", "in_ci", "reference_dir"]

# Amazon's SP-API models, mail samples and the dev corpus sit beside the repository (/work/shared next to
# /work/main), outside git: a checkout without them cannot run these tests.
REFERENCE_ROOT = Path(__file__).resolve().parents[1].parent / "shared"


def in_ci() -> bool:
    """Whether the ``CI`` environment variable is set to anything but an explicit no."""
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def reference_dir(*parts: str) -> Path:
    """A path inside the reference folder; a missing one fails the test under CI and skips it locally."""
    path = REFERENCE_ROOT.joinpath(*parts)
    if path.exists():
        return path
    reason = f"reference material missing: {path} (the ../shared folder beside the repository)"
    if in_ci():
        # A skip would let CI pass without ever running these checks.
        pytest.fail(f"{reason}; CI must provide it", pytrace=False)
    pytest.skip(reason)
