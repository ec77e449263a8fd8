"""What the manifests must agree with in the code: settings variable names and consumer groups."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

from pydantic import BaseModel
from pydantic_settings import BaseSettings

from complaints.settings import Settings
from shared import topics as topics_module

__all__ = ["EnvVar", "consumer_subscriptions", "settings_env_vars"]

EXTRA_ENV = frozenset({"SECRETS_DIR"})
"""Read by shared/settings.py at import, outside any section."""


class EnvVar(BaseModel):
    """One settings field and the environment variable (or secret file) that sets it."""

    section: str | None
    field: str
    json_typed: bool


def settings_env_vars() -> dict[str, EnvVar]:
    """Environment variable name -> settings field, for every field of every section of ``Settings``."""
    names: dict[str, EnvVar] = {}
    for section, info in Settings.model_fields.items():
        section_type = info.annotation
        if isinstance(section_type, type) and issubclass(section_type, BaseSettings):
            prefix = str(section_type.model_config.get("env_prefix", ""))
            for field, sub in section_type.model_fields.items():
                name = str(sub.validation_alias or f"{prefix}{field}").upper()
                json_typed = typing.get_origin(sub.annotation) in (dict, list)
                names[name] = EnvVar(section=section, field=field, json_typed=json_typed)
        else:
            names[str(info.validation_alias or section).upper()] = EnvVar(
                section=None, field=section, json_typed=False
            )
    return names


def _string_constants(tree: ast.Module) -> dict[str, str]:
    constants = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    constants[target.id] = node.value.value
    return constants


def _resolve(node: ast.expr, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        value = constants.get(node.id, getattr(topics_module, node.id, None))
        return value if isinstance(value, str) else None
    return None


def consumer_subscriptions(package: Path) -> dict[str, set[str]]:
    """Consumer group -> topics, from every ``...(group_id=..., topics=[...])`` call in a package's modules.

    Values may be string literals, module-level string constants or names from ``shared.topics``.
    """
    found: dict[str, set[str]] = {}
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        constants = _string_constants(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            keywords = {k.arg: k.value for k in node.keywords if k.arg}
            if "group_id" not in keywords:
                continue
            group = _resolve(keywords["group_id"], constants)
            topic_nodes = keywords.get("topics")
            topic_list = topic_nodes.elts if isinstance(topic_nodes, ast.List | ast.Tuple) else []
            if group is not None:
                found.setdefault(group, set()).update(
                    t for t in (_resolve(n, constants) for n in topic_list) if t is not None
                )
    return found
