"""Single rules: channel table (checked against Amazon's Messaging model), lengths, order ids, language."""

from __future__ import annotations

import json

import pytest

from services.responder.replies.compliance import (
    DEFAULT_POLICIES,
    EMAIL_MAX_LENGTH,
    guess_language,
    language_of_locale,
    lint,
)
from tests.reference import reference_dir

ORDER = "123-1234567-1234567"
BODY = f"We are sorry: the carrier reported a problem with your order {ORDER} and we will send a replacement."


def _model_text_limits() -> dict[str, int | None]:
    """Messaging API action -> maxLength of its ``text`` (None: the action has no text field)."""
    model = json.loads(reference_dir("spapi", "messaging.json").read_text(encoding="utf-8"))
    limits: dict[str, int | None] = {}
    for path, ops in model["paths"].items():
        if "/messages/" not in path or "post" not in ops:
            continue
        body = next(p for p in ops["post"]["parameters"] if p["in"] == "body")
        definition = model["definitions"][body["schema"]["$ref"].rsplit("/", 1)[-1]]
        text = definition.get("properties", {}).get("text")
        limits[path.rsplit("/", 1)[-1]] = text["maxLength"] if text else None
    return limits


def test_channel_limits_match_amazons_messaging_model() -> None:
    limits = _model_text_limits()
    assert "unexpectedProblem" in limits
    for action, limit in limits.items():
        policy = DEFAULT_POLICIES[f"messaging:{action}"]
        if limit is None:
            assert not policy.text_allowed, action
        else:
            assert policy.text_allowed, action
            assert policy.max_length == limit, action


@pytest.mark.parametrize(
    ("channel", "limit"),
    [
        ("messaging:unexpectedProblem", 2000),
        ("messaging:confirmDeliveryDetails", 2000),
        ("messaging:confirmOrderDetails", 2000),
        ("messaging:confirmServiceDetails", 2000),
        ("messaging:confirmCustomizationDetails", 800),
        ("messaging:digitalAccessKey", 400),
        ("email", EMAIL_MAX_LENGTH),
    ],
)
def test_length_limit_per_channel(channel: str, limit: int) -> None:
    filler = " We are checking this for you."
    fits = (BODY + filler * 200)[:limit]
    assert "text.length" not in lint(fits, channel=channel, locale="en", order_id=ORDER).rule_ids
    over = lint(fits + "x", channel=channel, locale="en", order_id=ORDER)
    [v] = [v for v in over.violations if v.rule_id == "text.length"]
    assert (v.start, v.end) == (limit, limit + 1)


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_text(text: str) -> None:
    result = lint(text, channel="email", locale="en", order_id=ORDER)
    assert [v.rule_id for v in result.violations] == ["text.empty"]


def test_unknown_channel_fails_closed() -> None:
    for channel in ("messaging:updateFeedback", "sms", "messaging:"):
        assert lint(BODY, channel=channel, locale="en").rule_ids == {"channel.unknown"}


def test_attachment_only_actions_take_no_text() -> None:
    assert lint(BODY, channel="messaging:warranty", locale="en").rule_ids == {"channel.text_not_allowed"}


def test_order_id_rules() -> None:
    no_id = "We are sorry: the carrier lost your parcel and we will send a replacement today."
    m = "messaging:unexpectedProblem"
    assert "order_id.missing" in lint(no_id, channel=m, locale="en", order_id=ORDER).rule_ids
    assert "order_id.missing" in lint(no_id, channel=m, locale="en").rule_ids
    assert lint(BODY, channel=m, locale="en").ok
    # e-mail: quoting the order in the subject is enough; without a known order nothing is required
    assert "order_id.missing" in lint(no_id, channel="email", locale="en", order_id=ORDER).rule_ids
    assert lint(no_id, channel="email", locale="en", order_id=ORDER, subject=f"Re: Order {ORDER}").ok
    assert lint(no_id, channel="email", locale="en").ok
    # full-width digits are the same order id
    wide = BODY.replace(ORDER, "１２３－１２３４５６７－１２３４５６７")
    assert lint(wide, channel=m, locale="en", order_id=ORDER).ok
    foreign = lint(
        BODY, channel="email", locale="en", order_id=ORDER, subject="Re: Order 999-1234567-7654321"
    )
    [v] = foreign.violations
    assert (v.rule_id, v.field, v.excerpt) == ("order_id.foreign", "subject", "999-1234567-7654321")


def test_subject_is_checked_with_spans_in_the_subject() -> None:
    subject = f"Order {ORDER}: 20% off coupon inside"
    result = lint(BODY, channel="email", locale="en", order_id=ORDER, subject=subject)
    assert {(v.rule_id, v.field) for v in result.violations} == {("content.marketing", "subject")}
    assert all(subject[v.start : v.end] == v.excerpt for v in result.violations)


def test_links_allowed_by_channel_purpose() -> None:
    carrier = f"{BODY} Track it at https://www.ups.com/track?tracknum=1Z999AA10123456784"
    amazon = f"{BODY} Start a return at https://www.amazon.de/spr/returns/gift"
    detail_page = f"{BODY} See https://www.amazon.de/dp/B0C1234XYZ"
    for channel in ("email", "messaging:unexpectedProblem", "messaging:confirmDeliveryDetails"):
        assert lint(carrier, channel=channel, locale="en", order_id=ORDER).ok, channel
    assert (
        "link.url"
        in lint(carrier, channel="messaging:confirmOrderDetails", locale="en", order_id=ORDER).rule_ids
    )
    assert lint(amazon, channel="messaging:confirmOrderDetails", locale="en", order_id=ORDER).ok
    assert "link.url" in lint(detail_page, channel="email", locale="en", order_id=ORDER).rule_ids
    lookalike = f"{BODY} Track it at https://ups.com.evil.example/track"
    assert "link.url" in lint(lookalike, channel="email", locale="en", order_id=ORDER).rule_ids


def test_invisible_characters_do_not_hide_links() -> None:
    text = f"{BODY} Visit w\u200bw\u200bw.example-shop.com today."
    [v] = lint(text, channel="email", locale="en", order_id=ORDER).violations
    assert v.rule_id == "link.url"
    assert text[v.start : v.end] == "w\u200bw\u200bw.example-shop.com"


def test_language_must_match_the_buyer_locale() -> None:
    german = f"Wir haben Ihre Nachricht zur Bestellung {ORDER} erhalten und kümmern uns sofort um den Ersatz für Sie."
    assert lint(german, channel="email", locale="de-DE", order_id=ORDER).ok
    assert lint(german, channel="email", locale="fr_FR", order_id=ORDER).rule_ids == {"text.language"}
    assert lint(german, channel="email", locale=None, order_id=ORDER).ok
    assert lint(BODY, channel="email", locale="ja-JP", order_id=ORDER).rule_ids == {"text.language"}


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Thank you for your message. We are sorry that your order has not arrived yet.", "en"),
        (
            "Vielen Dank für Ihre Nachricht. Es tut uns leid, dass Ihre Bestellung noch nicht angekommen ist.",
            "de",
        ),
        (
            "Merci pour votre message. Nous sommes désolés que votre commande ne soit pas encore arrivée.",
            "fr",
        ),
        ("Gracias por su mensaje. Sentimos mucho que su pedido todavía no haya llegado.", "es"),
        ("Grazie per il suo messaggio. Ci dispiace che il suo ordine non sia ancora arrivato.", "it"),
        (
            "ご連絡いただきありがとうございます。ご注文の商品がまだ届いていないとのこと、大変申し訳ございません。",
            "ja",
        ),
        ("感谢您的来信。很抱歉您的订单尚未送达，我们会尽快处理。", "zh"),
        ("Bedankt voor uw bericht. Het spijt ons dat uw bestelling nog niet is aangekomen.", "nl"),
    ],
)
def test_language_guesser(text: str, lang: str) -> None:
    assert guess_language(text).language == lang


def test_language_guesser_abstains_on_little_text() -> None:
    assert guess_language("OK").language is None
    assert guess_language("123-1234567-1234567").language is None
    assert guess_language("了解").language is None


def test_locale_parsing() -> None:
    assert [language_of_locale(x) for x in ("de-DE", "ja_JP", "zh-Hans-CN", "EN", "", None)] == [
        "de", "ja", "zh", "en", None, None,
    ]  # fmt: skip
