"""The automatic markers of tests/conftest.py: stack users are integration, tests/e2e is e2e too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from _pytest.fixtures import FixtureFunctionDefinition

from tests.conftest import auto_markers
from tests.plugins import stack

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent


def test_every_fixture_of_the_stack_plugin_is_a_stack_fixture() -> None:
    # A stack fixture added to the plugin but not to STACK_FIXTURES would let its users run as unit tests.
    defined = {name for name, obj in vars(stack).items() if isinstance(obj, FixtureFunctionDefinition)}
    assert defined == stack.STACK_FIXTURES


@pytest.mark.parametrize(
    ("fixturenames", "where", "expected"),
    [
        (["request", "tmp_path"], "responder/test_policy.py", []),
        (
            ["db", "migrated_db", "fresh_database", "database_admin_url"],
            "responder/test_x.py",
            ["integration"],
        ),
        (["smtp_server"], "shared/test_x.py", ["integration"]),
        (["tmp_path"], "shared/stack/test_ports.py", ["integration"]),
        (["tmp_path"], "shared/stacks/test_x.py", []),
        (["work_dir"], "e2e/test_chaos.py", ["integration", "e2e"]),
        (["tmp_path"], "e2e_like/test_x.py", []),
    ],
)
def test_markers_follow_the_fixtures_and_the_folder(
    fixturenames: list[str], where: str, expected: list[str]
) -> None:
    assert auto_markers(fixturenames, TESTS / where) == expected


def _collected(*args: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode in {0, 5}, result.stdout + result.stderr  # 5: every test deselected
    return {line.split("::")[0] for line in result.stdout.splitlines() if "::" in line}


def test_not_integration_deselects_the_stack_users_before_they_run() -> None:
    # test_auth uses the API client, built on ``migrated_db`` and so on the stack; test_units uses nothing of it.
    files = ["tests/responder/api/test_auth.py", "tests/responder/api/test_units.py"]
    assert _collected("-m", "not integration", *files) == {"tests/responder/api/test_units.py"}
