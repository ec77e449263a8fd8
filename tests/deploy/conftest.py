"""Fixtures: each overlay rendered once per session, as text, as a file and as objects."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.support import OVERLAYS, Obj, load, render


@pytest.fixture(scope="session", params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    """Name of the overlay under test (every manifest test runs for dev and prod)."""
    return str(request.param)


@pytest.fixture(scope="session")
def rendered_text(overlay: str) -> str:
    """The overlay rendered by kustomize."""
    return render(overlay)


@pytest.fixture(scope="session")
def rendered_file(overlay: str, rendered_text: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rendered overlay written to a file, for the command-line validators."""
    path = tmp_path_factory.mktemp(f"rendered-{overlay}") / f"{overlay}.yaml"
    path.write_text(rendered_text)
    return path


@pytest.fixture(scope="session")
def objs(rendered_text: str) -> list[Obj]:
    """The rendered objects."""
    return load(rendered_text)
