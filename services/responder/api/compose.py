"""Human replies (pure): render a template or take free text, pick the channel and lint the result."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from services.responder.api.schemas.replies import LintOut, ReplyCreate, ViolationOut
from services.responder.replies.compliance import LintResult, lint
from services.responder.replies.ids import TemplateId
from services.responder.replies.mail import reply_subject
from services.responder.replies.templating import (
    RenderedReply,
    TemplateNotFoundError,
    TemplateVariableError,
    render_reply,
    template_channel,
)
from services.responder.tables import OrderContextRow

__all__ = ["ComposeError", "Draft", "compose_reply", "lint_out", "render_template", "ticket_variables"]


class ComposeError(ValueError):
    """The reply cannot be built as asked; ``code`` is the API error code, ``status`` its HTTP status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(frozen=True, slots=True)
class Draft:
    """A reply ready to lint and queue."""

    text: str
    subject: str | None
    channel: str
    template_id: str | None
    template_version: str | None
    language: str | None
    fallback: str | None
    lint: LintResult


def lint_out(result: LintResult) -> LintOut:
    """The API form of a lint result."""
    return LintOut(
        ok=result.ok,
        violations=[
            ViolationOut(
                rule_id=v.rule_id,
                message=v.message,
                start=v.start,
                end=v.end,
                field=v.field,
            )
            for v in result.violations
        ],
    )


def ticket_variables(
    *, order_id: str | None, asin: str | None, subject: str | None, order: OrderContextRow | None
) -> dict[str, object]:
    """Template variables known from the ticket and its order."""
    found: dict[str, object] = {
        "order_id": order_id,
        "asin": asin,
        "original_subject": subject,
        "latest_delivery_date": order.latest_delivery_date if order else None,
        "carrier": order.carrier if order else None,
    }
    return {k: v for k, v in found.items() if v is not None}


def render_template(
    *,
    category: str,
    channel: str,
    language: str,
    marketplace_id: str | None,
    variables: Mapping[str, object],
) -> RenderedReply:
    """A repo template rendered for a human; ComposeError (404 or 422) when it cannot be."""
    try:
        return render_reply(
            category=category,
            channel=channel,
            buyer_locale=language,
            marketplace_id=marketplace_id,
            variables=variables,
        )
    except TemplateNotFoundError as exc:
        raise ComposeError(404, "template_not_found", str(exc)) from exc
    except TemplateVariableError as exc:
        raise ComposeError(422, "template_variable", str(exc)) from exc


def _from_template(
    req: ReplyCreate,
    template_id: str,
    *,
    order_id: str | None,
    marketplace_id: str | None,
    known: Mapping[str, object],
) -> Draft:
    """The rendered template (its lint result is replaced once the final subject is known)."""
    parsed = TemplateId.parse(template_id)
    channel, category, lang = parsed.channel, parsed.category, parsed.language
    if req.channel is not None and template_channel(req.channel) != channel:
        raise ComposeError(422, "channel_mismatch", "the template is not written for that channel")
    variables = {**known, **req.variables}
    if order_id:
        variables["order_id"] = order_id  # the reply always names this ticket's order
    r = render_template(
        category=category,
        channel=req.channel or channel,
        language=lang,
        marketplace_id=marketplace_id,
        variables=variables,
    )
    return Draft(
        r.text,
        r.subject,
        req.channel or channel,
        r.template_id,
        r.template_version,
        r.language,
        r.fallback,
        r.lint,
    )


def compose_reply(
    req: ReplyCreate,
    *,
    order_id: str | None,
    marketplace_id: str | None,
    ticket_language: str | None,
    buyer_subject: str | None,
    has_reply_address: bool,
    known: Mapping[str, object],
) -> Draft:
    """Build and lint the reply; ComposeError when it cannot be built at all."""
    if req.template_id is not None:
        draft = _from_template(
            req, req.template_id, order_id=order_id, marketplace_id=marketplace_id, known=known
        )
    else:
        channel = req.channel or ("email" if has_reply_address else "messaging:unexpectedProblem")
        text = req.text or ""
        draft = Draft(
            text, None, channel, None, None, req.language or ticket_language, None, LintResult(False, ())
        )
    email = draft.channel == "email"
    if email and not has_reply_address:
        raise ComposeError(422, "no_reply_address", "the buyer's reply address is unknown or redacted")
    if not email and not order_id:
        raise ComposeError(422, "no_order", "messaging replies need the ticket's order id")
    # The subject may come from the client, so the whole message is linted once it is final.
    subject = (req.subject or draft.subject or reply_subject(buyer_subject)) if email else None
    result = lint(
        draft.text, channel=draft.channel, locale=draft.language, order_id=order_id, subject=subject
    )
    return dataclasses.replace(draft, subject=subject, lint=result)
