"""An existing ticket's buyer alias never changes automatically (pure decision)."""

from __future__ import annotations

from services.responder.replies.aliases import AliasChange, settle_alias

US = "ATVPDKIKX0DER"
A = "abc123def456@marketplace.amazon.com"
B = "zzz999yyy888@marketplace.amazon.com"


def test_a_new_ticket_takes_the_messages_alias() -> None:
    assert settle_alias(stored=None, incoming=A, marketplace_id=US) == AliasChange(store=A, target=A)


def test_the_same_alias_again_changes_nothing() -> None:
    assert settle_alias(stored=A, incoming=A.upper(), marketplace_id=US) == AliasChange(store=None, target=A)


def test_another_alias_is_kept_out_and_flagged() -> None:
    change = settle_alias(stored=A, incoming=B, marketplace_id=US)
    assert change == AliasChange(store=None, target=A, changed=True)
    assert not change.same_buyer(B)
    assert change.same_buyer("abc123def456+case9@marketplace.amazon.com")


def test_a_message_without_alias_keeps_the_stored_one() -> None:
    assert settle_alias(stored=A, incoming=None, marketplace_id=US) == AliasChange(store=None, target=A)


def test_a_non_relay_reply_to_is_refused_and_never_stored() -> None:
    assert settle_alias(stored=None, incoming="attacker@evil.example", marketplace_id=US) == AliasChange(
        store=None, target=None, refused=True
    )
    assert settle_alias(stored=A, incoming="attacker@evil.example", marketplace_id=US) == AliasChange(
        store=None, target=A, refused=True
    )


def test_an_invalid_stored_address_is_replaced_by_a_relay_alias() -> None:
    change = settle_alias(stored="attacker@evil.example", incoming=A, marketplace_id=US)
    assert change == AliasChange(store=A, target=A, replaced=True)
    assert settle_alias(stored="attacker@evil.example", incoming=None, marketplace_id=US) == AliasChange(
        store=None, target=None
    )


def test_an_alias_of_another_marketplace_is_no_target() -> None:
    de = "abc123def456@marketplace.amazon.de"
    assert settle_alias(stored=None, incoming=de, marketplace_id=US) == AliasChange(
        store=None, target=None, refused=True
    )
