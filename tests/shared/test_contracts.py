"""Event contracts: exported schemas in step with the models, keys, ids, settings."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from complaints.settings import Settings
from services.classifier.settings import ClassifierSettings
from shared.events import ComplaintSignalReceived, SignalKind, SignalSource, event_id_for, kafka_key
from shared.schemas import EXPORTED, render, schema_path


@pytest.mark.parametrize("model", EXPORTED, ids=lambda m: m.__name__)
def test_exported_schema_matches_the_model(model: type) -> None:
    path = schema_path(model)
    assert path.exists(), f"{path.name} missing: run `make schemas`"
    assert json.loads(path.read_text(encoding="utf-8")) == json.loads(render(model)), (
        f"{path.name} is stale: run `make schemas` and review the contract change"
    )


def test_every_event_carries_the_envelope_fields() -> None:
    for model in EXPORTED:
        fields = set(model.model_fields)
        required = {"event_id", "occurred_at", "seller_id", "marketplace_id", "order_id", "dedup_key"}
        assert required | {"correlation_id", "schema_version"} <= fields, model.__name__


def test_same_dedup_key_same_event_id() -> None:
    assert event_id_for("spapi:abc") == event_id_for("spapi:abc")
    assert event_id_for("spapi:abc") != event_id_for("spapi:abd")


def test_kafka_key_keeps_one_order_on_one_key() -> None:
    assert kafka_key("S1", "123-1234567-1234567", "d1") == kafka_key("S1", "123-1234567-1234567", "d2")
    assert kafka_key("S1", None, "d1") != kafka_key("S1", None, "d2")


def test_naive_timestamps_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone"):
        ComplaintSignalReceived(
            event_id=uuid.uuid4(),
            occurred_at=datetime(2026, 1, 1),  # noqa: DTZ001  # the point of the test
            seller_id="S1",
            dedup_key="d",
            correlation_id="c",
            source=SignalSource.EMAIL,
            kind=SignalKind.BUYER_MESSAGE,
        )
    ok = ComplaintSignalReceived(
        event_id=uuid.uuid4(),
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        seller_id="S1",
        dedup_key="d",
        correlation_id="c",
        source=SignalSource.EMAIL,
        kind=SignalKind.BUYER_MESSAGE,
    )
    assert ok.schema_version == 1


def test_production_refuses_placeholder_secrets() -> None:
    with pytest.raises(ValueError, match="CLASSIFIER_BUYER_HASH_SALT"):
        Settings(environment="production")
    fine = Settings(environment="local")
    assert fine.kafka.enable_idempotence is False


def test_settings_read_their_env_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "broker:9093")
    monkeypatch.setenv("CLASSIFIER_A_TO_Z_SLA_HOURS", "48")
    s = Settings()
    assert s.kafka.bootstrap_servers == "broker:9093"
    assert s.classifier.a_to_z_sla_hours == 48
    assert ClassifierSettings(buyer_hash_salt=SecretStr("x")).buyer_hash_salt.get_secret_value() == "x"
