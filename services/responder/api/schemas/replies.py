"""Reply, lint and template models."""

from __future__ import annotations

import uuid
from typing import Annotated, Self

from pydantic import Field, StringConstraints, model_validator

from services.responder.api.schemas.common import Code, Identifier, Line, Model, Text
from services.responder.api.schemas.tickets import ReplyOut

__all__ = [
    "Channel",
    "LintOut",
    "LintRequest",
    "PreviewOut",
    "PreviewRequest",
    "ReplyCreate",
    "ReplyCreated",
    "TemplateId",
    "TemplateOut",
    "Variables",
    "ViolationOut",
]

Channel = Annotated[str, StringConstraints(pattern=r"^(email|messaging:[A-Za-z]{1,64})$")]
TemplateId = Annotated[
    str, StringConstraints(pattern=r"^(email|messaging:[A-Za-z]{1,64})/[a-z_]{1,32}/[a-z]{2}$")
]
Variables = Annotated[dict[Code, Line], Field(max_length=30)]


class ViolationOut(Model):
    """One broken messaging rule and where in the text (or subject) it is: offsets, never the text itself
    (it may carry a phone number or an e-mail address)."""

    rule_id: str
    message: str
    start: int
    end: int
    field: str


class LintOut(Model):
    """The linter's verdict: ok only without violations."""

    ok: bool
    violations: list[ViolationOut]


class LintRequest(Model):
    """A draft to check for a channel (``email`` or ``messaging:<action>``)."""

    text: Text
    subject: Line | None = None
    channel: Channel = "email"
    locale: Code | None = Field(default=None, description="The buyer's locale or language, e.g. de-DE.")
    order_id: Identifier | None = None


class ReplyCreate(Model):
    """A reply from a template (with variables) or free text; exactly one of template_id and text."""

    template_id: TemplateId | None = Field(default=None, examples=["email/not_received/en"])
    variables: Variables = Field(
        default_factory=dict, description="Template variables; seller_name is required by every template."
    )
    text: Text | None = None
    subject: Line | None = Field(default=None, description="E-mail only; default 'Re: <buyer's subject>'.")
    channel: Channel | None = Field(
        default=None, description="Default: the template's channel, else email when the buyer wrote by mail."
    )
    language: Code | None = Field(default=None, description="Language of free text (default: the ticket's).")

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.template_id is None) == (self.text is None):
            raise ValueError("give exactly one of template_id and text")
        return self


class ReplyCreated(ReplyOut):
    """The queued reply (or, on a repeated request, the one queued before)."""

    idempotency_key: str
    replayed: bool = Field(
        description="True when this request repeated an earlier one: nothing new was queued."
    )


class TemplateOut(Model):
    """A repo template."""

    id: str
    channel: str
    category: str
    language: str
    version: str
    subject: str | None
    source: str


class PreviewRequest(Model):
    """Render a template for a ticket (tickets:read) or with sample values, plus your variables."""

    ticket_id: uuid.UUID | None = None
    variables: Variables = Field(default_factory=dict)


class PreviewOut(Model):
    """A rendered template with the linter's verdict."""

    template_id: str
    template_version: str
    language: str
    fallback: str | None
    subject: str | None
    text: str
    lint: LintOut
