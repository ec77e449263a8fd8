"""Templates: catalogue complete, every template compliant in its language, fallback, overrides, sandbox."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime

import pytest

from services.responder.replies.compliance import guess_language, lint
from services.responder.replies.templating import (
    CATEGORIES,
    CHANNELS,
    LANGUAGES,
    TemplateInfo,
    TemplateNotFoundError,
    TemplateOverride,
    TemplateVariableError,
    UnsafeTemplateError,
    check_template_source,
    list_templates,
    render_reply,
    sample_variables,
)
from services.responder.replies.templating.catalog import TEMPLATE_DIR

ORDER = "123-1234567-1234567"
MINIMAL = {"order_id": ORDER, "seller_name": "Northwind Home"}
TEMPLATES = list_templates()


def test_catalogue_has_every_channel_category_and_language() -> None:
    ids = {t.template_id for t in TEMPLATES}
    expected = {f"{c}/{cat}/{lang}" for c in CHANNELS for cat in CATEGORIES for lang in LANGUAGES}
    assert ids == expected
    on_disk = {
        str(p.relative_to(TEMPLATE_DIR).with_suffix("")).replace("messaging/", "messaging:", 1)
        for p in TEMPLATE_DIR.rglob("*.j2")
        if p.relative_to(TEMPLATE_DIR).parts[0] != "variants"  # other wordings of these, see below
    }
    assert on_disk == ids
    variants = {
        p.parent.relative_to(TEMPLATE_DIR / "variants") for p in (TEMPLATE_DIR / "variants").rglob("*.j2")
    }
    assert {str(v).replace("messaging/", "messaging:", 1) for v in variants} <= ids  # no orphan wording
    for t in TEMPLATES:
        assert int(t.version) >= 1
        assert (t.subject is not None) == (t.channel == "email"), t.template_id
        check_template_source(t.source)
        for source in t.variants:
            check_template_source(source)
        if t.subject:
            check_template_source(t.subject)


@pytest.mark.parametrize("info", TEMPLATES, ids=lambda t: t.template_id)
def test_every_template_is_compliant_in_its_language(info: TemplateInfo) -> None:
    english_title = {
        **sample_variables(info.language),
        "item_title": "Stainless steel bottle with bamboo lid",
    }
    for variables in (sample_variables(info.language), MINIMAL, english_title):
        reply = render_reply(
            category=info.category,
            channel=info.channel,
            buyer_locale=info.language,
            marketplace_id=None,
            variables=variables,
        )
        assert (reply.template_id, reply.language, reply.fallback) == (info.template_id, info.language, None)
        assert reply.lint.ok, [(v.rule_id, v.excerpt) for v in reply.lint.violations]
        again = lint(
            reply.text, channel=info.channel, locale=info.language, order_id=ORDER, subject=reply.subject
        )
        assert again.ok
        assert guess_language(reply.text).language == info.language
        assert ORDER in reply.text
        assert "{{" not in reply.text
        assert "{%" not in reply.text


@pytest.mark.parametrize(
    ("buyer_locale", "marketplace_id", "language", "fallback"),
    [
        ("de-DE", "ATVPDKIKX0DER", "de", None),
        ("nl-NL", "A1PA6795UKMFR9", "de", "marketplace_language"),
        ("nl-NL", "A1805IZSGTT6HS", "en", "default_english"),
        (None, "A1VC38T7YXB528", "ja", "marketplace_language"),
        ("pt-BR", "A2Q3Y263D00KWC", "en", "default_english"),
        (None, None, "en", "default_english"),
        ("zh_CN", "A1PA6795UKMFR9", "zh", None),
    ],
)
def test_language_fallback_is_recorded(
    buyer_locale: str | None, marketplace_id: str | None, language: str, fallback: str | None
) -> None:
    reply = render_reply(
        category="defective", channel="email", buyer_locale=buyer_locale, marketplace_id=marketplace_id,
        variables=MINIMAL,
    )  # fmt: skip
    assert (reply.language, reply.fallback) == (language, fallback)
    assert reply.template_id == f"email/defective/{language}"
    assert reply.requested_language == (buyer_locale[:2] if buyer_locale else None)


def test_email_subject_keeps_the_thread_and_messaging_has_none() -> None:
    variables = {**MINIMAL, "original_subject": f"RE: Re: Inquiry from Amazon customer Josh (Order: {ORDER})"}
    reply = render_reply(
        category="none", channel="email", buyer_locale="en", marketplace_id=None, variables=variables
    )
    assert reply.subject == f"Re: Inquiry from Amazon customer Josh (Order: {ORDER})"
    de = render_reply(
        category="none", channel="email", buyer_locale="de", marketplace_id=None, variables=MINIMAL
    )
    assert de.subject == f"Ihre Bestellung {ORDER}"
    msg = render_reply(
        category="none", channel="messaging:unexpectedProblem", buyer_locale="de", marketplace_id=None,
        variables=MINIMAL,
    )  # fmt: skip
    assert msg.subject is None


@pytest.mark.parametrize(
    ("value", "lang", "shown"),
    [
        (date(2025, 3, 4), "de", "04.03.2025"),
        ("2025-03-04", "en", "4 March 2025"),
        (datetime(2025, 3, 4, 23, 0, tzinfo=UTC), "ja", "2025年3月4日"),
        ("2025-03-04T10:00:00Z", "fr", "04/03/2025"),
    ],
)
def test_delivery_date_is_formatted_per_language(value: object, lang: str, shown: str) -> None:
    reply = render_reply(
        category="not_received", channel="email", buyer_locale=lang, marketplace_id=None,
        variables={**MINIMAL, "latest_delivery_date": value},
    )  # fmt: skip
    assert shown in reply.text
    assert reply.lint.ok


def test_confirm_delivery_details_uses_the_unexpected_problem_texts() -> None:
    reply = render_reply(
        category="not_received", channel="messaging:confirmDeliveryDetails", buyer_locale="it",
        marketplace_id=None, variables=MINIMAL,
    )  # fmt: skip
    assert reply.template_id == "messaging:unexpectedProblem/not_received/it"
    assert reply.lint.ok


def test_missing_or_bad_variables() -> None:
    def render(variables: Mapping[str, object], category: str = "defective") -> object:
        return render_reply(category=category, channel="email", buyer_locale="en", marketplace_id=None,
                            variables=variables)  # fmt: skip

    with pytest.raises(TemplateVariableError, match="order_id"):
        render({"seller_name": "X"})
    with pytest.raises(TemplateVariableError, match="seller_name"):
        render({"order_id": ORDER})
    with pytest.raises(TemplateVariableError, match="order_id"):
        render({**MINIMAL, "order_id": "12345"})
    with pytest.raises(TemplateVariableError, match="item_title"):
        render({**MINIMAL, "item_title": object()})
    with pytest.raises(TemplateVariableError, match="latest_delivery_date"):
        render({**MINIMAL, "latest_delivery_date": "next week"})
    with pytest.raises(TemplateNotFoundError):
        render(MINIMAL, category="refund_please")


def test_variables_cannot_inject_template_syntax_or_layout() -> None:
    title = "{{ seller_name }} {% if order_id %}X{% endif %}\n\nSecond paragraph"
    reply = render_reply(
        category="defective", channel="email", buyer_locale="en", marketplace_id=None,
        variables={**MINIMAL, "item_title": title},
    )  # fmt: skip
    assert "({{ seller_name }} {% if order_id %}X{% endif %} Second paragraph)" in reply.text


def test_a_variable_that_breaks_the_rules_fails_the_lint() -> None:
    reply = render_reply(
        category="defective", channel="messaging:unexpectedProblem", buyer_locale="en", marketplace_id=None,
        variables={**MINIMAL, "item_title": "Bottle - more at www.cheap-bottles.example.com"},
    )  # fmt: skip
    assert not reply.lint.ok
    assert "link.url" in reply.lint.rule_ids


GOOD_OVERRIDE = (
    "Hello{% if buyer_name %} {{ buyer_name }}{% endif %},\n\nwe are very sorry that the item from order "
    "{{ order_id }} does not work. We will send you a new one or refund you, whichever you prefer; please reply to "
    "this message with your choice.\n\n{{ seller_name|upper }}"
)


def test_seller_override_takes_precedence() -> None:
    reply = render_reply(
        category="defective", channel="email", buyer_locale="en-GB", marketplace_id=None, variables=MINIMAL,
        overrides={"email/defective/en": GOOD_OVERRIDE},
    )  # fmt: skip
    assert (reply.source, reply.template_id, reply.override_rejected) == (
        "override",
        "email/defective/en",
        None,
    )
    assert reply.template_version.startswith("override-")
    assert reply.text.startswith("Hello,\n\nwe are very sorry")
    assert reply.text.endswith("NORTHWIND HOME")
    assert reply.subject == f"Your order {ORDER}"  # the repo subject when the override has none


def test_override_in_a_language_without_repo_template_avoids_the_fallback() -> None:
    dutch = (
        "Beste klant,\n\nhet spijt ons dat het artikel van bestelling {{ order_id }} niet werkt. Wij sturen u "
        "graag een nieuw exemplaar of betalen het aankoopbedrag terug.\n\n{{ seller_name }}"
    )
    overrides = {"email/defective/nl": TemplateOverride(dutch, subject="Uw bestelling {{ order_id }}")}
    reply = render_reply(
        category="defective", channel="email", buyer_locale="nl-NL", marketplace_id="A1805IZSGTT6HS",
        variables=MINIMAL, overrides=overrides,
    )  # fmt: skip
    assert (reply.language, reply.fallback, reply.source) == ("nl", None, "override")
    assert reply.subject == f"Uw bestelling {ORDER}"


def test_non_compliant_override_is_linted_and_not_used() -> None:
    bad = GOOD_OVERRIDE + "\n\nPlease leave us a 5-star review and visit www.northwind.example.com!"
    reply = render_reply(
        category="defective", channel="email", buyer_locale="en", marketplace_id=None, variables=MINIMAL,
        overrides={"email/defective/en": bad},
    )  # fmt: skip
    assert (reply.source, reply.template_id, reply.template_version) == ("repo", "email/defective/en", "1")
    assert reply.override_rejected is not None
    assert "content.review_request" in reply.override_rejected
    assert "link.url" in reply.override_rejected
    assert reply.lint.ok


ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ order_id.__class__.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ lipsum.__globals__['os'].system('id') }}",
    "{{ order_id|attr('__class__') }}",
    "{{ self }}",
    "{{ config }}",
    "{% for x in range(100000) %}{% for y in range(100000) %}{{ order_id }}{% endfor %}{% endfor %}",
    "{% set x = order_id %}{{ x }}",
    "{% include 'email/defective/en.j2' %}",
    "{% import 'os' as os %}",
    "{% macro m() %}{{ order_id }}{% endmacro %}{{ m() }}",
    "{% filter upper %}{{ order_id }}{% endfilter %}",
    "{{ order_id|format('%s') }}",
    "{{ 7 * 7 }} {{ order_id }}",
    "{{ order_id[0] }}",
    "{% if order_id > 5 %}x{% endif %}",
    "{{ order_id ",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_sandbox_escape_attempts_fail_safely(source: str) -> None:
    with pytest.raises(UnsafeTemplateError):
        check_template_source(source)
    reply = render_reply(
        category="defective", channel="email", buyer_locale="en", marketplace_id=None, variables=MINIMAL,
        overrides={"email/defective/en": source},
    )  # fmt: skip
    assert (reply.source, reply.template_id) == ("repo", "email/defective/en")
    assert reply.override_rejected is not None
    assert "UnsafeTemplateError" in reply.override_rejected
    assert reply.lint.ok


def test_raw_blocks_print_template_syntax_literally() -> None:
    source = "{% raw %}{{ order_id }}{% endraw %} " + GOOD_OVERRIDE
    check_template_source(source)
    reply = render_reply(
        category="defective", channel="email", buyer_locale="en", marketplace_id=None, variables=MINIMAL,
        overrides={"email/defective/en": source},
    )  # fmt: skip
    assert reply.source == "override"
    assert reply.text.startswith("{{ order_id }} Hello")
