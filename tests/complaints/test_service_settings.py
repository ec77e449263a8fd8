"""Each service validates only the secrets it uses: production start-up no longer needs another one's."""

from __future__ import annotations

import json

import pytest

from complaints.settings import Settings
from services.classifier.settings import ClassifierServiceSettings
from services.ingest.settings import IngestServiceSettings
from services.responder.settings import ResponderApiServiceSettings, ResponderServiceSettings
from shared.settings import ServiceSettings

STRONG = "s" * 40
SALT = {"CLASSIFIER_BUYER_HASH_SALT": STRONG}
PEPPER = {"RESPONDER_API_KEY_PEPPER": STRONG}
PII = {"RESPONDER_PII_ENCRYPTION_KEY": STRONG}
LWA = {"SPAPI_LWA_CLIENT_SECRET": "lwa-client-secret"}
TOKENS = {"SPAPI_REFRESH_TOKENS": json.dumps({"A1SELLER": "Atzr|token"})}
ALL_SECRETS = (*SALT, *PEPPER, *PII, *LWA, *TOKENS, "RESPONDER_PII_ENCRYPTION_KEYS_OLD")

# service -> the secrets it uses (only these set: it starts), and a missing one it must still refuse
OWN: list[tuple[type[ServiceSettings], dict[str, str], str]] = [
    (IngestServiceSettings, PII, "RESPONDER_PII_ENCRYPTION_KEY"),
    (ClassifierServiceSettings, SALT | PII, "CLASSIFIER_BUYER_HASH_SALT"),
    (ResponderServiceSettings, PII | LWA, "SPAPI_LWA_CLIENT_SECRET"),
    (ResponderApiServiceSettings, PEPPER | PII, "RESPONDER_API_KEY_PEPPER"),
]


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (*ALL_SECRETS, "SECRETS_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ENVIRONMENT", "production")
    return monkeypatch


@pytest.mark.parametrize(("service", "own", "required"), OWN, ids=[s.__name__ for s, _, _ in OWN])
def test_a_service_starts_with_its_own_secrets_only(
    production: pytest.MonkeyPatch, service: type[ServiceSettings], own: dict[str, str], required: str
) -> None:
    for name, value in own.items():
        production.setenv(name, value)
    assert service().environment == "production"
    with pytest.raises(ValueError, match="placeholder secrets"):
        Settings()  # the whole deployment still needs every secret (the doctor's view)
    production.delenv(required)
    with pytest.raises(ValueError, match=rf"placeholder secrets in production: {required} \["):
        service()


def test_ingest_needs_the_lwa_secret_only_when_it_calls_sp_api(production: pytest.MonkeyPatch) -> None:
    for name, value in (PII | TOKENS).items():
        production.setenv(name, value)
    with pytest.raises(ValueError, match="placeholder secrets in production: SPAPI_LWA_CLIENT_SECRET"):
        IngestServiceSettings()
    production.setenv("SPAPI_LWA_CLIENT_SECRET", "lwa-client-secret")
    assert IngestServiceSettings().spapi.refresh_tokens.keys() == {"A1SELLER"}


def test_retired_pii_keys_are_checked_by_every_service_reading_the_key_ring(
    production: pytest.MonkeyPatch,
) -> None:
    production.setenv("RESPONDER_PII_ENCRYPTION_KEYS_OLD", json.dumps(["short"]))
    for service, own, _ in OWN:
        for name, value in own.items():
            production.setenv(name, value)
        with pytest.raises(ValueError, match=r"RESPONDER_PII_ENCRYPTION_KEYS_OLD\[0\]"):
            service()
