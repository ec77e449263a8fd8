"""The Jinja2 sandbox and the syntax subset every template (repo or seller override) must stay inside."""

from __future__ import annotations

from functools import lru_cache

from jinja2 import StrictUndefined, Template, nodes
from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from services.responder.replies.templating.variables import VARIABLES
from shared.errors import ValidationError

__all__ = ["UnsafeTemplateError", "check_template_source", "compile_template"]

MAX_SOURCE = 10_000
_FILTERS = frozenset({"trim", "upper", "lower", "capitalize", "title", "default"})
_TESTS = frozenset({"defined", "undefined", "none", "string"})
_COMPARE_OPS = frozenset({"eq", "ne"})  # ordering a None against a string would raise at render time
# Text, variables, if/else and boolean logic: nothing that reaches an object, calls, loops or imports.
_SAFE_NODES = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.Const, nodes.If, nodes.Not, nodes.And, nodes.Or,
    nodes.Compare, nodes.Operand, nodes.CondExpr, nodes.Concat,
)  # fmt: skip


class UnsafeTemplateError(ValidationError):
    """A template source uses syntax outside the allowed subset (or does not compile)."""

    code = "unsafe_template"


def _finalize(value: object) -> object:
    return "" if value is None else value


def _env() -> ImmutableSandboxedEnvironment:
    # Plain-text output: no autoescape. Values are never re-parsed, so they cannot inject template syntax.
    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, finalize=_finalize)
    env.globals.clear()
    return env


_ENV = _env()


def check_template_source(source: str) -> None:
    """Raise UnsafeTemplateError unless the source compiles and stays inside the allowed subset."""
    if len(source) > MAX_SOURCE:
        raise UnsafeTemplateError(f"template longer than {MAX_SOURCE} characters")
    try:
        tree = _ENV.parse(source)
    except TemplateError as exc:
        raise UnsafeTemplateError(f"template does not compile: {exc}") from None
    stack: list[nodes.Node] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, nodes.Name):
            if node.ctx != "load" or node.name not in VARIABLES:
                raise UnsafeTemplateError(f"unknown variable {node.name!r}")
        elif isinstance(node, nodes.Filter):
            if node.name not in _FILTERS or node.dyn_args is not None or node.dyn_kwargs is not None:
                raise UnsafeTemplateError(f"filter {node.name!r} not allowed")
        elif isinstance(node, nodes.Operand):
            if node.op not in _COMPARE_OPS:
                raise UnsafeTemplateError(f"comparison {node.op!r} not allowed")
        elif isinstance(node, nodes.Test):
            if node.name not in _TESTS:
                raise UnsafeTemplateError(f"test {node.name!r} not allowed")
        elif not isinstance(node, _SAFE_NODES):
            raise UnsafeTemplateError(f"{type(node).__name__} not allowed in templates")
        stack.extend(node.iter_child_nodes())


@lru_cache(maxsize=512)
def compile_template(source: str) -> Template:
    """Check and compile a source in the sandbox (cached by source text)."""
    check_template_source(source)
    return _ENV.from_string(source)
