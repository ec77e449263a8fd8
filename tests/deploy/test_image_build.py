"""deploy/Dockerfile builds a working Python layer, checked without a Docker engine.

The builder stage is replayed step by step (tests/deploy/dockerfile.py) on the build context that
Dockerfile.dockerignore lets through, using the same uv version and build-venv.sh; then the service
commands run from the resulting venv the way the runtime stage starts them. About a minute with a warm
uv cache (most of it byte-compiling, as the image does).
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from complaints.db.migrate import alembic_config
from tests.deploy.dockerfile import Stage, build_context, env_of, parse_dockerfile, replay_builder
from tests.deploy.support import DEPLOY, REPO_ROOT
from tests.plugins.stack import DatabaseFactory

SERVICE_COMMANDS = ("ingest", "classifier", "responder", "api", "migrate")
DEV_ONLY = ("pytest", "mypy", "ruff", "hypothesis", "kubernetes_validate")
REQUIRED_IN_CONTEXT = (
    "pyproject.toml",
    "uv.lock",
    "README.md",
    "alembic.ini",
    "deploy/build-venv.sh",
    "complaints/cli.py",
    "complaints/db/migrations/env.py",
)


@dataclass(frozen=True)
class Image:
    """The replayed image: its root directory and the environment its processes get."""

    root: Path
    env: dict[str, str]

    @property
    def workdir(self) -> Path:
        """The runtime WORKDIR (/app)."""
        return self.root / "app"

    def run(self, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run a command of the image's venv, as the runtime stage would."""
        executable = self.root / "opt" / "venv" / "bin" / args[0]
        return subprocess.run(
            [str(executable), *args[1:]],
            cwd=self.workdir,
            env={**self.env, **(extra_env or {})},
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )


def _stage(name: str) -> Stage:
    (stage,) = [s for s in parse_dockerfile(DEPLOY / "Dockerfile") if s.name == name]
    return stage


def _entry_modules() -> list[str]:
    """The modules the service commands import lazily in complaints/cli.py (``--help`` alone never loads them)."""
    tree = ast.parse((REPO_ROOT / "complaints" / "cli.py").read_text())
    modules = {"complaints.cli"}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in SERVICE_COMMANDS:
            modules |= {n.module for n in ast.walk(node) if isinstance(n, ast.ImportFrom) and n.module}
    assert len(modules) > len(SERVICE_COMMANDS), (
        f"cannot find the service entry points in complaints/cli.py: {modules}"
    )
    return sorted(modules)


def _uv() -> Path:
    candidates = [os.environ.get("UV"), str(REPO_ROOT / ".tools" / "bin" / "uv"), shutil.which("uv")]
    found = [Path(c) for c in candidates if c and Path(c).is_file()]
    assert found, "uv not found (the Makefile installs it in .tools/bin)"
    return found[0]


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Image:
    """Replay the builder stage into a fresh root; return the runtime view of it."""
    base = tmp_path_factory.mktemp("image")
    context, root = base / "context", base / "root"
    build_context(REPO_ROOT, DEPLOY / "Dockerfile.dockerignore", context)
    python = (Path(sys.base_prefix) / "bin" / "python3.11").resolve()
    replay_builder(_stage("builder"), context=context, root=root, uv=_uv(), python=python, timeout=900)
    runtime = env_of(_stage("runtime"))
    home = base / "home"
    home.mkdir()
    env = {
        "PATH": runtime["PATH"]
        .replace("/opt/venv", str(root / "opt" / "venv"))
        .replace("$PATH", "/usr/bin:/bin"),
        **{k: v for k, v in runtime.items() if k.startswith("PYTHON")},
        "HOME": str(home),
    }
    return Image(root=root, env=env)


def test_uv_in_the_image_is_the_version_that_locks_the_project() -> None:
    (uv_stage,) = [s for s in parse_dockerfile(DEPLOY / "Dockerfile") if s.name == "uv"]
    pinned = uv_stage.base.rpartition(":")[2]
    version = subprocess.run([str(_uv()), "--version"], capture_output=True, text=True, check=True).stdout
    assert version.split()[1] == pinned


def test_runtime_stage_holds_only_the_venv_and_the_source() -> None:
    builder, runtime = _stage("builder"), _stage("runtime")
    assert runtime.base == builder.base, "the venv's interpreter symlink needs the same base image"
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", runtime.base)
    copies = [i.args.split() for i in runtime.all("COPY")]
    assert copies == [["--from=builder", "/opt/venv", "/opt/venv"], ["--from=builder", "/app", "/app"]]
    # The only RUN creates the user: no package manager, compiler or uv in the final image.
    (run,) = runtime.all("RUN")
    assert run.args.startswith("groupadd ")
    assert "useradd" in run.args
    assert not re.search(r"apt|apk|pip|uv |curl|wget|gcc|make", run.args)
    (user,) = runtime.all("USER")
    uid, _, gid = user.args.partition(":")
    assert uid.isdigit(), "numeric user"
    assert int(uid) >= 10000, "non-root user outside the host's range"
    assert gid.isdigit(), "numeric group"
    (entrypoint,) = runtime.all("ENTRYPOINT")
    assert json.loads(entrypoint.args) == ["complaints"]


def test_no_secrets_are_baked_into_the_image() -> None:
    for stage in parse_dockerfile(DEPLOY / "Dockerfile"):
        for name in env_of(stage):
            assert not re.search(r"KEY|SECRET|TOKEN|PASSWORD|PEPPER|SALT|DATABASE_URL", name), name
        assert not stage.all("ARG"), "build args end up in the image history"


def test_build_context_is_the_allow_list(tmp_path: Path) -> None:
    sent = build_context(REPO_ROOT, DEPLOY / "Dockerfile.dockerignore", tmp_path)
    assert set(REQUIRED_IN_CONTEXT) <= set(sent)
    top = {path.split("/")[0] for path in sent}
    assert top <= {
        "pyproject.toml",
        "uv.lock",
        "README.md",
        "alembic.ini",
        "complaints",
        "shared",
        "services",
        "deploy",
    }
    assert not [p for p in sent if "__pycache__" in p or p.endswith(".pyc")]


@pytest.mark.timeout(900)
def test_image_runs_every_service_command(image: Image) -> None:
    result = image.run("complaints", "--help")
    assert result.returncode == 0, result.stderr
    for command in SERVICE_COMMANDS:
        assert re.search(rf"\b{command}\b", result.stdout), command
        sub = image.run("complaints", command, "--help")
        assert sub.returncode == 0, f"complaints {command} --help: {sub.stderr}"


def test_image_imports_every_entry_point_without_dev_tools(image: Image) -> None:
    script = (
        "import importlib, importlib.util, json, sys\n"
        f"for m in {_entry_modules()!r}: importlib.import_module(m)\n"
        f"print(json.dumps([m for m in {DEV_ONLY!r} if importlib.util.find_spec(m)]))\n"
    )
    result = image.run("python", "-c", script)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [], "dev dependencies leaked into the image (--no-dev)"


def test_image_source_is_precompiled_for_a_read_only_root(image: Image) -> None:
    sources = sorted(p for top in ("complaints", "shared") for p in (image.workdir / top).rglob("*.py"))
    assert sources
    missing = [s for s in sources if not list((s.parent / "__pycache__").glob(f"{s.stem}.cpython-311*.pyc"))]
    assert not missing, missing[:5]


async def test_image_migrates_a_database(image: Image, fresh_database: DatabaseFactory) -> None:
    url = await fresh_database("deploy")
    process = await asyncio.create_subprocess_exec(
        str(image.root / "opt" / "venv" / "bin" / "complaints"),
        "migrate",
        cwd=image.workdir,
        env={**image.env, "ENVIRONMENT": "production", "DATABASE_URL": url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=180)
    assert process.returncode == 0, stderr.decode()
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            versions = (
                (await connection.execute(text("select version_num from alembic_version"))).scalars().all()
            )
    finally:
        await engine.dispose()
    assert set(versions) == set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
