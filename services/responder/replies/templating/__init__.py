"""Reply rendering: repo templates or seller overrides in a locked-down Jinja2 sandbox, language fallback.

Templates live in ``templates/<channel path>/<category>/<lang>.j2`` (``messaging:unexpectedProblem`` ->
``messaging/unexpectedProblem``) with versions and e-mail subjects in ``templates/metadata.toml``. Template
id: ``<channel>/<category>/<lang>``. Categories: not_received, not_as_described, defective, none, escalation
(a draft for human review). ``messaging:confirmDeliveryDetails`` uses the unexpectedProblem texts.

Variables (strings; dates may be date/datetime/ISO strings and are formatted per language):
- ``order_id`` (required, ``3-7-7``), ``seller_name`` (required, the sign-off);
- optional: ``buyer_name`` (PII), ``item_title``, ``asin``, ``latest_delivery_date``, ``carrier``,
  ``tracking_number``, ``original_subject`` (the buyer thread's subject; the reply subject is "Re: ...").
Values are single-line, control characters removed, at most 200 characters; Jinja never re-renders a value,
so a value holding ``{{ ... }}`` is printed as it is.

Template sources (repo and seller overrides alike) may only use text, the variables above, ``if``/``else``
and the filters trim/upper/lower/capitalize/title/default: no attribute access, calls, loops, imports or
assignments. That, the ImmutableSandboxedEnvironment and StrictUndefined make overrides safe to run. A seller
override that fails to compile, uses anything else, or renders text the linter rejects is not used: the repo
template is rendered instead and ``override_rejected`` says why.

Language: buyer locale -> marketplace language -> English; ``fallback`` is None, ``"marketplace_language"``
or ``"default_english"``. The attached lint result checks the text against the rendered language; a caller
that must write in the buyer's language (Messaging API) should treat a fallback as "needs a human".
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from jinja2.exceptions import TemplateError

from services.responder.replies.compliance import LintResult, language_of_locale, lint
from services.responder.replies.templating.catalog import (
    CATEGORIES,
    CHANNELS,
    LANGUAGES,
    MARKETPLACE_LANGUAGE,
    Fallback,
    TemplateInfo,
    language_chain,
    list_templates,
    repo_templates,
    template_channel,
)
from services.responder.replies.templating.sandbox import (
    UnsafeTemplateError,
    check_template_source,
    compile_template,
)
from services.responder.replies.templating.variables import (
    OPTIONAL_VARIABLES,
    REQUIRED_VARIABLES,
    TemplateVariableError,
    build_context,
    sample_variables,
)
from shared.errors import PermanentError

__all__ = [
    "CATEGORIES",
    "CHANNELS",
    "LANGUAGES",
    "MARKETPLACE_LANGUAGE",
    "OPTIONAL_VARIABLES",
    "REQUIRED_VARIABLES",
    "RenderedReply",
    "TemplateInfo",
    "TemplateNotFoundError",
    "TemplateOverride",
    "TemplateVariableError",
    "UnsafeTemplateError",
    "check_template_source",
    "list_templates",
    "render_reply",
    "sample_variables",
    "template_channel",
]


class TemplateNotFoundError(PermanentError):
    """No template for this channel and category in any language of the fallback chain."""

    code = "template_not_found"


@dataclass(frozen=True, slots=True)
class TemplateOverride:
    """A seller's own wording for one template id (and, for e-mail, optionally its subject)."""

    source: str
    subject: str | None = None


@dataclass(frozen=True, slots=True)
class RenderedReply:
    """A rendered reply with where it came from and the linter's verdict on it."""

    text: str
    subject: str | None
    template_id: str
    template_version: str
    language: str
    fallback: Fallback | None
    requested_language: str | None
    source: Literal["repo", "override"]
    override_rejected: str | None
    lint: LintResult
    variant: int = 0  # 0: the main text; n: the template's n-th other wording


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _render(
    body: str, subject: str | None, ctx: Mapping[str, str | None], *, email: bool
) -> tuple[str, str | None]:
    text = _tidy(compile_template(body).render(ctx))
    subj = _tidy(compile_template(subject).render(ctx)) if email and subject else None
    return text, subj


def _override_for(
    overrides: Mapping[str, str | TemplateOverride], ids: tuple[str, ...]
) -> tuple[str, TemplateOverride] | None:
    for template_id in ids:
        found = overrides.get(template_id)
        if found is not None:
            return template_id, found if isinstance(found, TemplateOverride) else TemplateOverride(found)
    return None


def _digest(override: TemplateOverride) -> str:
    return hashlib.sha256(f"{override.source}\x00{override.subject or ''}".encode()).hexdigest()[:12]


def render_reply(
    *,
    category: str,
    channel: str,
    buyer_locale: str | None,
    marketplace_id: str | None,
    variables: Mapping[str, object],
    overrides: Mapping[str, str | TemplateOverride] | None = None,
    variant: int = 0,
) -> RenderedReply:
    """Render the reply for a category and channel in the best available language, seller override first.

    ``variant`` n > 0 picks the repo template's n-th other wording when it has one (else its main text); a
    seller's override has no variants."""
    email = channel == "email"
    catalog = repo_templates()
    requested = language_of_locale(buyer_locale)
    rejected: str | None = None
    for lang, fallback in language_chain(buyer_locale, marketplace_id):
        ctx = build_context(variables, lang)
        order_id = ctx["order_id"]
        ids = tuple(
            dict.fromkeys((f"{channel}/{category}/{lang}", f"{template_channel(channel)}/{category}/{lang}"))
        )
        found = _override_for(overrides or {}, ids)
        repo = catalog.get(ids[-1])
        if found is not None:
            template_id, override = found
            subject_src = override.subject or (repo.subject if repo else None)
            try:
                text, subject = _render(override.source, subject_src, ctx, email=email)
            except (TemplateError, UnsafeTemplateError) as exc:
                rejected = f"{type(exc).__name__}: {exc}"[:300]
            else:
                result = lint(text, channel=channel, locale=lang, order_id=order_id, subject=subject)
                if result.ok:
                    version = f"override-{_digest(override)}"
                    return RenderedReply(
                        text,
                        subject,
                        template_id,
                        version,
                        lang,
                        fallback,
                        requested,
                        "override",
                        None,
                        result,
                    )
                rejected = "lint: " + ", ".join(sorted(result.rule_ids))
        if repo is None:
            continue
        chosen = variant if 0 < variant <= len(repo.variants) else 0
        source = repo.variants[chosen - 1] if chosen else repo.source
        try:
            text, subject = _render(source, repo.subject, ctx, email=email)
        except TemplateError as exc:
            raise TemplateVariableError(f"{repo.template_id}: {exc}") from None
        result = lint(text, channel=channel, locale=lang, order_id=order_id, subject=subject)
        return RenderedReply(
            text,
            subject,
            repo.template_id,
            repo.version,
            lang,
            fallback,
            requested,
            "repo",
            rejected,
            result,
            chosen,
        )
    raise TemplateNotFoundError(f"no template for {channel}/{category}")
