"""Shared pieces of the ingest parser fuzz tests: settings, the per-parser tally, seeds and mutators.

Every parser's contract: bad input raises ``PermanentError`` (``ValidationError`` included), good input gives
an event that survives the Kafka wire round trip. ``run_parser`` counts each input and each outcome; any other
exception is an unclassified crash, counted and re-raised so hypothesis shrinks and reports it. The tally is
printed at the end of the session (``tests/ingest/conftest.py``).

``FUZZ_EXAMPLES`` sets the examples per test (default 200, kept small for CI). A long run lifts pytest's
per-test timeout too: ``FUZZ_EXAMPLES=2000 pytest tests/ingest/test_fuzz_*.py --timeout=0``.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from shared.errors import PermanentError
from shared.events import parse_amazon_event
from tests.ingest.parse.support import FIXTURES, load_json
from tests.reference import reference_dir

__all__ = [
    "EXAMPLES",
    "FUZZ",
    "TALLIES",
    "Tally",
    "bytes_mutant",
    "check_event",
    "deep_json_text",
    "fixture_bytes",
    "json_mutant",
    "nasty_text",
    "official_notifications",
    "run_parser",
    "shared_mail_examples",
    "sub_bytes",
]

T = TypeVar("T")

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
# No deadline: the machine is shared and slow examples are not failures; a real hang hits pytest's timeout.
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


@dataclass(slots=True)
class Tally:
    """What one parser did with the fuzzed inputs."""

    tried: int = 0
    rejected: int = 0
    accepted: int = 0
    crashes: int = 0


TALLIES: dict[str, Tally] = {}


def run_parser(name: str, call: Callable[[], T]) -> T | None:
    """``call()``; None when it raised a classified error, its result otherwise; anything else is re-raised."""
    tally = TALLIES.setdefault(name, Tally())
    tally.tried += 1
    try:
        result = call()
    except PermanentError:
        tally.rejected += 1
        return None
    except BaseException:
        tally.crashes += 1
        raise
    tally.accepted += 1
    return result


def check_event(event: Any) -> None:
    """The event serializes and decodes back to itself, as the producer and the consumers will do."""
    decoded = parse_amazon_event(event.model_dump_json())
    assert decoded.model_dump(mode="json") == event.model_dump(mode="json")


# --- seeds -------------------------------------------------------------------------------------------------


def fixture_bytes(folder: str, *suffixes: str) -> list[bytes]:
    """The repository's own fixtures in ``tests/ingest/fixtures/<folder>`` ending in one of ``suffixes``."""
    paths = sorted(path for path in (FIXTURES / folder).iterdir() if path.name.endswith(suffixes))
    assert paths, f"no {suffixes} fixtures in {FIXTURES / folder}"
    return [path.read_bytes() for path in paths]


def official_notifications() -> list[dict[str, Any]]:
    """Amazon's own notification examples (``../shared/spapi/*Notification.json``) plus the repo fixtures."""
    docs: list[dict[str, Any]] = []
    for path in sorted(reference_dir("spapi").glob("*Notification.json")):
        docs.extend(example for example in load_json(path).get("examples", []) if isinstance(example, dict))
    assert docs, "no official notification examples found in ../shared/spapi"
    docs.extend(json.loads(raw) for raw in fixture_bytes("notifications", ".json"))
    return docs


def shared_mail_examples() -> list[str]:
    """The real SES / SNS / SQS payloads of ``../shared/mail/examples`` as message bodies."""
    paths = sorted(reference_dir("mail", "examples").glob("*.json"))
    assert paths, "no JSON payloads in ../shared/mail/examples"
    return [Path(path).read_text(encoding="utf-8") for path in paths]


# --- mutators ----------------------------------------------------------------------------------------------

_CHARS = st.characters(exclude_categories=())  # lone surrogates included
_SPECIAL = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\ufeff",
    "\u202e",
    "\r\n",
    "\r",
    "=?utf-8?b?####?=",
    "=?x-unknown?q?abc?=",
    "<>",
    "0",
    "-1",
    "1e999",
    "NaN",
    "Infinity",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "2026-13-45T99:99:99Z",
    "\t\t\t",
    '"',
    "ATVPDKIKX0DER",
    "A1PA6795UKMFR9",
    "@marketplace.amazon.com",
]


def nasty_text(max_size: int = 200) -> st.SearchStrategy[str]:
    """Short odd strings, NULs and lone surrogates, or a long repetition."""
    return st.one_of(
        st.sampled_from(_SPECIAL),
        st.text(_CHARS, max_size=max_size),
        st.builds(
            lambda unit, count: unit * count, st.text(_CHARS, min_size=1, max_size=4), st.integers(1, 40_000)
        ),
    )


_SCALARS: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    nasty_text(),
)


def _json_values() -> st.SearchStrategy[Any]:
    return st.recursive(
        _SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(_CHARS, max_size=12), inner, max_size=4)
        ),
        max_leaves=12,
    )


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replace(copy[head], rest, new)
    return copy


def _mutate_at(draw: st.DrawFn, target: Any) -> Any:
    """One structural change of ``target``: retype, drop, duplicate under another casing, wrap or deepen."""
    op = draw(st.sampled_from(["retype", "drop", "recase", "stringify", "wrap", "deepen", "add", "empty"]))
    if op == "retype":
        return draw(_json_values())
    if op == "drop" and isinstance(target, dict) and target:
        key = draw(st.sampled_from(sorted(target, key=str)))
        return {k: v for k, v in target.items() if k != key}
    if op == "recase" and isinstance(target, dict) and target:
        key = draw(st.sampled_from(sorted(target, key=str)))
        other = draw(st.sampled_from([key.upper(), key.lower(), key.swapcase(), f" {key}"]))
        return {**target, other: draw(st.one_of(st.just(target[key]), _json_values()))}
    if op == "stringify":
        return json.dumps(target) if not isinstance(target, str) else draw(nasty_text())
    if op == "wrap":
        return draw(st.sampled_from([[target], {"value": target}]))
    if op == "deepen":
        for _ in range(draw(st.integers(1, 400))):
            target = [target]
        return target
    if op == "add" and isinstance(target, dict):
        return {**target, draw(st.text(_CHARS, max_size=20)): draw(_json_values())}
    if op == "empty":
        return type(target)() if isinstance(target, dict | list | str) else None
    return draw(_json_values())


@st.composite
def json_mutant(draw: st.DrawFn, seeds: list[Any]) -> Any:
    """A seed document with one to four structural mutations at random places."""
    doc = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(0, 4))):
        path = draw(st.sampled_from(_paths(doc)))
        target: Any = doc
        for part in path:
            target = target[part]
        doc = _replace(doc, path, _mutate_at(draw, target))
    return doc


def deep_json_text(depth: int, opener: str = "[") -> str:
    """A JSON text nested ``depth`` levels deep (``json.loads`` recurses once per level)."""
    closer = "]" if opener == "[" else "}"
    inner = "0" if opener == "[" else ""
    unit = opener if opener == "[" else '{"a":'
    return unit * depth + inner + (closer * depth if opener == "[" else "0" + closer * depth)


_BAD_BYTES = [b"\x00", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\r", b"\n", b"\r\n ", b"\x1f\x8b", b"\t", b'"']


@st.composite
def bytes_mutant(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed document, byte-level mangled: truncated, spliced, repeated, gzip-wrapped, bad UTF-8."""
    data = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(0, 4))):
        op = draw(
            st.sampled_from(["truncate", "splice", "delete", "repeat", "gzip", "gzip_truncated", "swap"])
        )
        at = draw(st.integers(0, len(data)))
        if op == "truncate":
            data = data[:at]
        elif op == "splice":
            piece = draw(st.one_of(st.sampled_from(_BAD_BYTES), st.binary(max_size=16)))
            data = data[:at] + piece + data[at:]
        elif op == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 64)) :]
        elif op == "repeat":
            end = min(len(data), at + draw(st.integers(1, 80)))
            data = data[:at] + data[at:end] * draw(st.integers(2, 2000)) + data[end:]
        elif op == "gzip":
            data = gzip.compress(data)
        elif op == "gzip_truncated":
            packed = gzip.compress(data)
            data = packed[: draw(st.integers(0, len(packed)))]
        else:
            other = draw(st.sampled_from(seeds))
            data = data[:at] + other[draw(st.integers(0, len(other))) :]
    return data


def sub_bytes(pattern: bytes, replacement: bytes, data: bytes) -> bytes:
    """``re.sub`` on bytes with a literal replacement."""
    return re.sub(pattern, lambda _match: replacement, data)
