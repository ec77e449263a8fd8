"""One exception tree: every project error descends from ComplaintsError and is drawn in shared.errors."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import re
from pathlib import Path

import services
import shared
from shared import errors
from shared.errors import (
    ComplaintsError,
    OutcomeUnknown,
    PermanentError,
    RetryableError,
    Throttled,
    classify_failure,
)
from shared.spapi import errors as spapi


def _every_subclass(root: type[BaseException]) -> set[type[BaseException]]:
    found: set[type[BaseException]] = set()
    todo = [root]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


_RAISES_OURS = re.compile(r"^class \w+\([^)]*(Error|Unknown|Throttled)\b", re.MULTILINE)


def _import_every_module_defining_an_error() -> None:
    # Only modules that declare an exception class are imported: importing all of them costs most of a minute.
    for package in (services, shared):
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            spec = importlib.util.find_spec(info.name)
            origin = spec.origin if spec else None
            if origin and origin.endswith(".py") and _RAISES_OURS.search(Path(origin).read_text()):
                importlib.import_module(info.name)


def test_every_project_error_is_drawn_in_the_one_docstring() -> None:
    _import_every_module_defining_an_error()
    doc = errors.__doc__ or ""
    missing = sorted(c.__name__ for c in _every_subclass(ComplaintsError) if c.__name__ not in doc)
    assert missing == []


def test_the_transports_and_the_spapi_client_share_the_same_failure_classes() -> None:
    from services.responder.outbox import transports

    assert (transports.Throttled, transports.OutcomeUnknown) == (Throttled, OutcomeUnknown)
    throttled = spapi.ThrottledError("429", retry_after=2.0)
    assert isinstance(throttled, Throttled)
    assert isinstance(throttled, RetryableError)
    assert throttled.retry_after == 2.0
    assert throttled.code == "spapi_throttled"
    unknown = spapi.OutcomeUnknownError("timeout after the send", operation="createUnexpectedProblem")
    assert isinstance(unknown, OutcomeUnknown)
    assert isinstance(unknown, PermanentError)
    assert classify_failure(unknown) is unknown
    assert not isinstance(OutcomeUnknown("smtp"), PermanentError | RetryableError)
