"""Every rendered object is schema-valid: built-ins by kubernetes-validate --strict, CRDs by our own schemas."""

from __future__ import annotations

import copy
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.deploy.crd_schemas import CRD_SCHEMAS
from tests.deploy.support import CRD_KINDS, Obj, deployment, find, venv_tool

# The oldest Kubernetes minor these manifests promise to work on, and the newest schema set installed.
KUBERNETES_VERSIONS = ("1.30.0", None)

_WARN = re.compile(r"^WARN .* Couldn't find schema for kind (\S+) with api version (\S+)")


def _validate(path: Path, version: str | None) -> subprocess.CompletedProcess[str]:
    cmd = [str(venv_tool("kubernetes-validate")), "--strict", "--quiet"]
    if version is not None:
        cmd += ["-k", version]
    return subprocess.run([*cmd, str(path)], capture_output=True, text=True, check=False, timeout=300)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS, ids=["k8s-1.30", "k8s-latest"])
def test_builtin_objects_pass_strict_schema(
    rendered_file: Path, objs: list[Obj], version: str | None
) -> None:
    result = _validate(rendered_file, version)
    assert result.returncode == 0, result.stdout + result.stderr
    unvalidated = {m.group(1) for line in result.stdout.splitlines() if (m := _WARN.match(line))}
    # Only the custom resources may lack a schema: a built-in with a mistyped apiVersion would land here.
    assert unvalidated == {obj["kind"] for obj in objs if obj["kind"] in CRD_KINDS}
    assert unvalidated <= CRD_KINDS


def test_strict_validation_catches_an_unknown_field(objs: list[Obj], tmp_path: Path) -> None:
    """Control: the validator really runs in strict mode on these objects (a misspelt probe fails)."""
    broken = copy.deepcopy(deployment(objs, "api"))
    broken["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {"httpGet": {"path": "/readyz"}}
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken))
    result = _validate(path, None)
    assert result.returncode != 0
    assert "readinesProbe" in result.stdout


def test_custom_resources_match_structural_schemas(objs: list[Obj]) -> None:
    custom = [obj for obj in objs if obj["kind"] in CRD_KINDS]
    assert {obj["kind"] for obj in custom} == set(CRD_SCHEMAS)
    for obj in custom:
        jsonschema.validate(obj, CRD_SCHEMAS[obj["kind"]], cls=jsonschema.Draft202012Validator)


def test_structural_schema_rejects_unquoted_keda_metadata(objs: list[Obj]) -> None:
    """Control: KEDA trigger metadata is map[string]string, so an unquoted number must fail."""
    scaled = copy.deepcopy(find(objs, "ScaledObject")[0])
    scaled["spec"]["triggers"][0]["metadata"]["lagThreshold"] = 100
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(scaled, CRD_SCHEMAS["ScaledObject"], cls=jsonschema.Draft202012Validator)
