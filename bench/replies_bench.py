"""Reply rendering and the compliance linter, per message, with ratios to baselines measured in this run.

Bodies are realistic: every repo template rendered in each of its languages with sample variables, plus
hostile drafts (links, obfuscated e-mail addresses and phone numbers, full-width digits, zero-width
characters, review requests). The linter's figure is printed with its ratio to two baselines of the same
run: rendering the same template with Jinja, and one ``str.lower()`` plus one regular-expression pass over
the text. The composer's figure is a whole automatic reply as the responder makes it: policy, render, lint
and the encrypted outbox row.

``python -m bench.replies_bench``
"""

from __future__ import annotations

import re
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from services.responder.outbox.rows import outbox_row
from services.responder.replies.compliance import lint
from services.responder.replies.compose import ReplyComposer
from services.responder.replies.templating import list_templates, render_reply, sample_variables
from services.responder.replies.templating.sandbox import compile_template
from services.responder.replies.templating.variables import build_context
from services.responder.settings import ResponderSettings
from shared.crypto import PiiCipher
from shared.events import (
    ComplaintClassified,
    ComplaintSignalReceived,
    Priority,
    Reason,
    SignalKind,
    SignalSource,
    Tag,
    event_id_for,
)

__all__ = ["compose_figures", "compose_section", "lint_figures", "lint_section", "main"]

_ORDER = "123-1234567-1234567"
_HOSTILE = (
    ("email", "en", f"Order {_ORDER}: write to support at example-shop dot com or call +44 7700 900123."),
    ("email", "en", f"Order {_ORDER}: visit w\u200bww.example-shop.com for 20% off your next order!"),
    (
        "email",
        "de",
        f"Bestellung {_ORDER}: Rufen Sie uns an unter ０３０ １２３４５６７８ oder info(at)shop.de.",
    ),
    ("messaging:unexpectedProblem", "en", f"Order {_ORDER}: please leave us a 5-star review \U0001f600"),
    (
        "messaging:unexpectedProblem",
        "ja",
        f"ご注文番号{_ORDER}について。LINEでお問い合わせください：０９０ー１２３４ー５６７８",
    ),
    ("email", "fr", f"Commande {_ORDER} : <b>suivez-nous</b> sur Instagram, code promo MERCI15."),
    ("email", "zh", f"订单 {_ORDER}：好评返现10元，请加我微信 abc123。"),
    ("email", "es", f"Pedido {_ORDER}: escríbanos a ventas＠ejemplo．es y déjenos una reseña positiva."),
)


def _best(fn: Callable[[], object], items: int, *, rounds: int = 9, seconds: float = 1.0) -> float:
    """Microseconds per item: the best of ``rounds`` timed loops (the least disturbed by other work)."""
    loops = 1
    while True:
        started = time.perf_counter()
        for _ in range(loops):
            fn()
        if time.perf_counter() - started >= seconds / rounds or loops >= 1 << 16:
            break
        loops *= 2
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(loops):
            fn()
        best = min(best, (time.perf_counter() - started) / loops)
    return 1e6 * best / items


_Draft = tuple[str, dict[str, Any]]


def _corpus() -> tuple[list[_Draft], list[_Draft]]:
    real: list[_Draft] = []
    for t in list_templates():
        rendered = render_reply(
            category=t.category,
            channel=t.channel,
            buyer_locale=t.language,
            marketplace_id=None,
            variables=sample_variables(t.language),
        )
        kwargs = {"channel": t.channel, "locale": t.language, "order_id": _ORDER, "subject": rendered.subject}
        real.append((rendered.text, kwargs))
    hostile: list[_Draft] = [
        (text, {"channel": ch, "locale": lang, "order_id": _ORDER}) for ch, lang, text in _HOSTILE
    ]
    return real, hostile


def lint_figures() -> dict[str, float]:
    """Linter microseconds per message on templates and hostile drafts, with the same run's baselines."""
    real, hostile = _corpus()
    templates = list_templates()
    contexts = [build_context(sample_variables(t.language), t.language) for t in templates]
    compiled = [compile_template(t.source) for t in templates]
    word = re.compile(r"\bcoupons?\b", re.IGNORECASE)

    def lint_all(items: list[tuple[str, dict[str, object]]]) -> Callable[[], None]:
        def run() -> None:
            for text, kwargs in items:
                lint(text, **kwargs)  # type: ignore[arg-type]

        return run

    def jinja() -> None:
        for template, ctx in zip(compiled, contexts, strict=True):
            template.render(ctx)

    def lower_regex() -> None:
        for text, _ in real:
            word.search(text.lower())

    figures = {
        "lint_templates_us": _best(lint_all(real), len(real)),
        "lint_hostile_us": _best(lint_all(hostile), len(hostile)),
        "jinja_render_us": _best(jinja, len(compiled)),
        "lower_regex_us": _best(lower_regex, len(real)),
    }
    print(
        f"lint: {figures['lint_templates_us']:.1f} us per reply on {len(real)} rendered templates "
        f"({figures['lint_hostile_us']:.1f} us per hostile draft; target <= 200 us); "
        f"ratio to a Jinja render of the same template {figures['lint_templates_us'] / figures['jinja_render_us']:.2f}, "
        f"to str.lower() + one regex pass {figures['lint_templates_us'] / figures['lower_regex_us']:.1f}"
    )
    return figures


def _complaint(language: str, category: str, n: int) -> ComplaintClassified:
    dedup = f"email:<bench-{n}@relay>"
    now = datetime.now(UTC)
    alias = f"{uuid.uuid4().hex[:15]}@marketplace.amazon.com"
    signal = ComplaintSignalReceived(
        event_id=event_id_for(dedup),
        occurred_at=now,
        seller_id="A2BENCHSELLER1",
        marketplace_id="ATVPDKIKX0DER",
        order_id=_ORDER,
        dedup_key=dedup,
        correlation_id=dedup,
        source=SignalSource.EMAIL,
        kind=SignalKind.BUYER_MESSAGE,
        text="My package never arrived.",
        subject=f"Order delivery inquiry from Amazon customer Jane (Order: {_ORDER})",
        language_hint=language,
        buyer_alias=alias,
        buyer_name="Jane",
        reply_to=alias,
        message_id=dedup.removeprefix("email:"),
    )
    return ComplaintClassified(
        event_id=event_id_for(f"classified:{dedup}"),
        occurred_at=now,
        seller_id="A2BENCHSELLER1",
        marketplace_id="ATVPDKIKX0DER",
        order_id=_ORDER,
        dedup_key=f"classified:{dedup}",
        correlation_id=dedup,
        source=SignalSource.EMAIL,
        signal=signal,
        category=category,
        tags=(Tag(name=category, confidence=0.9),),
        confidence=0.9,
        language=language,
        priority=Priority.P2,
        due_at=now + timedelta(hours=24),
        reasons=(Reason(rule_id="text.model", detail="bench"),),
        model_version="bench",
        buyer_hash=uuid.uuid4().hex,
        auto_reply=True,
    )


def compose_figures() -> dict[str, float]:
    """A whole automatic reply (policy, render, lint, encrypted outbox row) per complaint."""
    composer = ReplyComposer(responder=ResponderSettings())
    cipher = PiiCipher("bench-key")
    events = [
        _complaint(lang, cat, i)
        for i, (lang, cat) in enumerate(
            (lang, cat)
            for lang in ("en", "de", "fr", "es", "it", "ja", "zh")
            for cat in ("not_received", "defective", "not_as_described")
        )
    ]
    ticket = uuid.uuid4()

    def compose_all() -> None:
        for event in events:
            draft = composer.compose(event, order=None, thread="bench", buyer_alias=event.signal.buyer_alias)
            if draft is not None:
                outbox_row(
                    draft.reply,
                    key=draft.idempotency_key,
                    ticket_id=ticket,
                    seller_id=event.seller_id,
                    marketplace_id=event.marketplace_id,
                    order_id=event.order_id,
                    created_by="auto",
                    cipher=cipher,
                )

    drafts = [
        composer.compose(e, order=None, thread="bench", buyer_alias=e.signal.buyer_alias) for e in events
    ]
    real, _ = _corpus()
    per_reply = _best(compose_all, len(events))
    lint_us = _best(lambda: [lint(t, **k) for t, k in real], len(real))
    statuses = sorted({d.reply.status for d in drafts if d is not None})
    print(
        f"compose: {per_reply:.1f} us per automatic reply (policy + render + lint + encrypted outbox row) over "
        f"{len(events)} complaints in 7 languages, statuses {statuses}; the lint is "
        f"{lint_us / per_reply:.0%} of it"
    )
    return {"compose_us": per_reply}


def lint_section() -> None:
    """``make bench`` section: the linter per message."""
    lint_figures()


def compose_section() -> None:
    """``make bench`` section: one automatic reply per complaint."""
    compose_figures()


def main() -> None:
    """Both sections."""
    lint_section()
    compose_section()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
