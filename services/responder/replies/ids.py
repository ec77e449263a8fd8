"""Typed channel and template ids: the one place their string forms are parsed and written."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ChannelId", "TemplateId", "template_category"]


@dataclass(frozen=True, slots=True)
class ChannelId:
    """'email' or 'messaging:<action>' (the Messaging API action a reply uses)."""

    kind: str
    action: str | None = None

    @classmethod
    def parse(cls, text: str) -> ChannelId:
        """'messaging:unexpectedProblem' -> messaging + unexpectedProblem; 'email' -> email."""
        kind, _, action = text.partition(":")
        return cls(kind, action or None)

    def __str__(self) -> str:
        return f"{self.kind}:{self.action}" if self.action else self.kind


@dataclass(frozen=True, slots=True)
class TemplateId:
    """'<channel>/<category>/<language>', e.g. 'messaging:unexpectedProblem/defective/en'."""

    channel: str
    category: str
    language: str

    @classmethod
    def parse(cls, text: str) -> TemplateId:
        """The three parts; ValueError when there are not exactly three."""
        parts = text.split("/")
        if len(parts) != 3:
            raise ValueError(f"bad template id {text!r}")
        return cls(*parts)

    def __str__(self) -> str:
        return f"{self.channel}/{self.category}/{self.language}"


def template_category(template_id: str | None) -> str | None:
    """The category a queued row's template id names (None for a fallback id without a language)."""
    parts = (template_id or "").split("/")
    return parts[-2] if len(parts) >= 3 else None
