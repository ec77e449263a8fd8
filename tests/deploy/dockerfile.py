"""Read deploy/Dockerfile and its ignore file, and replay the builder stage on this machine (no engine).

Only the instructions the Dockerfile uses are supported; anything else raises, so a new instruction in
the builder stage makes the image test fail until this replay understands it.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Instruction", "Stage", "build_context", "env_of", "parse_dockerfile", "replay_builder"]


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction, continuation lines joined."""

    keyword: str
    args: str


@dataclass
class Stage:
    """A FROM ... AS name block."""

    base: str
    name: str
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        """The stage's instructions of one kind, in order."""
        return [i for i in self.instructions if i.keyword == keyword]


def parse_dockerfile(path: Path) -> list[Stage]:
    """Stages in order."""
    stages: list[Stage] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        pending = ""
        instruction = Instruction(keyword.upper(), args.strip())
        if instruction.keyword == "FROM":
            words = instruction.args.split()
            assert len(words) == 3, f"unnamed stage: {instruction.args}"
            assert words[1].upper() == "AS", f"unnamed stage: {instruction.args}"
            stages.append(Stage(base=words[0], name=words[2]))
        else:
            stages[-1].instructions.append(instruction)
    return stages


def env_of(stage: Stage) -> dict[str, str]:
    """The ENV variables a stage sets (``ENV K=V ...`` form)."""
    env: dict[str, str] = {}
    for instruction in stage.all("ENV"):
        for pair in shlex.split(instruction.args):
            key, sep, value = pair.partition("=")
            assert sep, f"use ENV KEY=VALUE: {instruction.args}"
            env[key] = value
    return env


def _pattern(glob: str) -> re.Pattern[str]:
    """A .dockerignore pattern: ``*`` and ``?`` stay within one path element, ``**`` spans several."""
    assert "[" not in glob, f"character classes are not supported here: {glob}"
    out, i, glob = [], 0, glob.strip("/")
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:[^/]+/)*")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        else:
            out.append({"*": "[^/]*", "?": "[^/]"}.get(glob[i], re.escape(glob[i])))
            i += 1
    return re.compile("".join(out) + r"\Z")


@dataclass(frozen=True)
class _Rule:
    include: bool
    glob: str
    pattern: re.Pattern[str]


def _rules(ignore_file: Path) -> list[_Rule]:
    rules = []
    for raw in ignore_file.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            glob = line.removeprefix("!")
            rules.append(_Rule(include=line.startswith("!"), glob=glob, pattern=_pattern(glob)))
    return rules


def _ignored(relative: str, rules: list[_Rule]) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents decides."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for rule in rules:
        if any(rule.pattern.match(p) for p in prefixes):
            ignored = not rule.include
    return ignored


def _may_reinclude(directory: str, rules: list[_Rule]) -> bool:
    """Whether an exception (``!pattern``) could match something below an ignored directory."""
    return any(r.include and (r.glob.startswith(f"{directory}/") or "**" in r.glob) for r in rules)


def build_context(root: Path, ignore_file: Path, dest: Path) -> list[str]:
    """Copy the files ``docker build`` would send from ``root`` into ``dest``; returns their paths."""
    rules = _rules(ignore_file)
    sent = []
    for directory, dirnames, filenames in os.walk(root):
        rel_dir = Path(directory).relative_to(root)
        dirnames[:] = [
            d
            for d in dirnames
            if not _ignored(str(rel_dir / d), rules) or _may_reinclude(str(rel_dir / d), rules)
        ]
        for name in filenames:
            relative = str(rel_dir / name)
            if _ignored(relative, rules):
                continue
            target = dest / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(Path(directory) / name, target)
            sent.append(relative)
    return sorted(sent)


_UV_PASSTHROUGH = frozenset(
    {
        "UV_CACHE_DIR",
        "UV_NATIVE_TLS",
        "UV_SYSTEM_CERTS",
        "UV_INDEX_URL",
        "UV_DEFAULT_INDEX",
        "UV_EXTRA_INDEX_URL",
        "UV_INDEX",
        "UV_HTTP_TIMEOUT",
        "UV_OFFLINE",
    }
)


def _host_env() -> dict[str, str]:
    """The machine's network, TLS and cache settings, without what would point uv at another environment."""
    dropped = {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP"}
    return {
        key: value
        for key, value in os.environ.items()
        if key not in dropped and (not key.startswith("UV_") or key in _UV_PASSTHROUGH)
    }


def replay_builder(
    stage: Stage, *, context: Path, root: Path, uv: Path, python: Path, timeout: float
) -> dict[str, str]:
    """Run a builder stage's WORKDIR/COPY/RUN steps under ``root`` (a stand-in for ``/``).

    ``COPY --from=uv`` installs the given uv binary; ``UV_PYTHON`` is pointed at the given interpreter; every
    other absolute path in ENV, WORKDIR and COPY lands under ``root``. Returns the environment used.
    """
    env = {
        key: (str(python) if key == "UV_PYTHON" else str(root) + value if value.startswith("/") else value)
        for key, value in env_of(stage).items()
    }
    bin_dir = root / "usr" / "local" / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    env = {**_host_env(), "PATH": f"{bin_dir}:/usr/bin:/bin", **env}
    workdir = root
    for instruction in stage.instructions:
        if instruction.keyword == "ENV":
            continue
        if instruction.keyword == "WORKDIR":
            workdir = root / instruction.args.lstrip("/")
            workdir.mkdir(parents=True, exist_ok=True)
        elif instruction.keyword == "COPY":
            words = shlex.split(instruction.args)
            flags = [w for w in words if w.startswith("--")]
            *sources, target = [w for w in words if not w.startswith("--")]
            destination = root / target.lstrip("/") if target.startswith("/") else workdir / target
            if flags == ["--from=uv"]:
                assert sources == ["/uv"], instruction.args
                shutil.copy2(uv, destination)
                continue
            assert not flags, f"unsupported COPY flags {flags}"
            for source in sources:
                origin = context / source
                if origin.is_dir():
                    shutil.copytree(origin, destination if source != "." else workdir, dirs_exist_ok=True)
                else:
                    into_dir = target.endswith("/") or len(sources) > 1 or destination.is_dir()
                    path = destination / origin.name if into_dir else destination
                    path.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(origin, path)
        elif instruction.keyword == "RUN":
            command = " ".join(w for w in shlex.split(instruction.args) if not w.startswith("--mount="))
            result = subprocess.run(
                ["/bin/sh", "-c", command],
                cwd=workdir,
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=timeout,
            )
            assert result.returncode == 0, f"RUN {command} failed:\n{result.stdout}\n{result.stderr}"
        else:
            raise AssertionError(f"the replay does not know {instruction.keyword}")
    return env
