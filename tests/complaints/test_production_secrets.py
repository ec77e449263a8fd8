"""In production the settings refuse placeholder, empty and too-short secrets, naming them (never their values)."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from complaints.settings import Settings
from services.classifier.settings import ClassifierSettings
from services.responder.settings import ResponderSettings
from shared.settings import MIN_SECRET_CHARS, SpApiSettings

STRONG = "s" * MIN_SECRET_CHARS


def _production(
    *,
    salt: str = STRONG,
    pepper: str = STRONG,
    pii_key: str = STRONG,
    old_keys: tuple[str, ...] = (),
    lwa: str = "lwa-client-secret",
) -> Settings:
    return Settings(
        environment="production",
        classifier=ClassifierSettings(buyer_hash_salt=SecretStr(salt)),
        spapi=SpApiSettings(lwa_client_secret=SecretStr(lwa)),
        responder=ResponderSettings(
            api_key_pepper=SecretStr(pepper),
            pii_encryption_key=SecretStr(pii_key),
            pii_encryption_keys_old=[SecretStr(k) for k in old_keys],
        ),
    )


def test_strong_secrets_are_accepted() -> None:
    settings = _production(old_keys=("o" * 40,))
    assert settings.responder.pii_encryption_keys_old[0].get_secret_value() == "o" * 40


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("pepper", "", "empty secrets in production: RESPONDER_API_KEY_PEPPER"),
        ("pepper", "   ", "empty secrets in production: RESPONDER_API_KEY_PEPPER"),
        ("pii_key", "k", "shorter than 32 characters in production: RESPONDER_PII_ENCRYPTION_KEY"),
        ("pii_key", "k" * (MIN_SECRET_CHARS - 1), "RESPONDER_PII_ENCRYPTION_KEY"),
        ("salt", "", "empty secrets in production: CLASSIFIER_BUYER_HASH_SALT"),
        ("salt", "short-salt", "shorter than 32 characters in production: CLASSIFIER_BUYER_HASH_SALT"),
        ("pepper", "changeme", "placeholder secrets in production: RESPONDER_API_KEY_PEPPER"),
        ("lwa", "", "empty secrets in production: SPAPI_LWA_CLIENT_SECRET"),
    ],
)
def test_weak_secrets_are_refused_by_name(field: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as refused:
        _production(**{field: value})  # type: ignore[arg-type]
    if len(value.strip()) > 3:
        assert value not in str(refused.value)  # the name, never the value


def test_a_short_retired_pii_key_is_refused_too() -> None:
    with pytest.raises(ValueError, match=r"RESPONDER_PII_ENCRYPTION_KEYS_OLD\[1\]"):
        _production(old_keys=("o" * 40, "old"))


def test_outside_production_short_secrets_are_fine() -> None:
    settings = Settings(environment="local", responder=ResponderSettings(api_key_pepper=SecretStr("")))
    assert settings.responder.api_key_pepper.get_secret_value() == ""
