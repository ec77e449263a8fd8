"""Fixtures for the classifier's pure-logic tests: the shipped model, loaded once."""

from __future__ import annotations

import pytest

from services.classifier.engine import Classifier


@pytest.fixture(scope="session")
def classifier() -> Classifier:
    """The artifact committed in services/classifier/model/."""
    return Classifier.load()
