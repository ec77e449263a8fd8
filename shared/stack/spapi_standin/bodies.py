"""Messaging v1 message types and their request-body rules, as the messaging model defines them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

__all__ = ["MESSAGE_TYPES", "MessageType", "validate_body"]

Presence = Literal["absent", "optional", "required"]
MAX_ATTACHMENTS = 5


@dataclass(frozen=True)
class MessageType:
    """One ``POST /messaging/v1/orders/{id}/messages/<action>`` operation."""

    action: str
    operation: str
    text_max: int | None = None
    attachments: Presence = "absent"
    coverage_dates: bool = False

    def json_schema(self) -> dict[str, Any]:
        """The draft-04 schema the HAL response embeds for this action."""
        props: dict[str, Any] = {}
        required: list[str] = []
        if self.text_max is not None:
            props["text"] = {"type": "string", "minLength": 1, "maxLength": self.text_max}
            required.append("text")
        if self.attachments != "absent":
            props["attachments"] = {
                "type": "array",
                "minItems": 1 if self.attachments == "required" else 0,
                "maxItems": MAX_ATTACHMENTS,
                "items": {
                    "type": "object",
                    "required": ["uploadDestinationId", "fileName"],
                    "properties": {"uploadDestinationId": {"type": "string"}, "fileName": {"type": "string"}},
                },
            }
            if self.attachments == "required":
                required.append("attachments")
        if self.coverage_dates:
            props["coverageStartDate"] = {"type": "string", "format": "date-time"}
            props["coverageEndDate"] = {"type": "string", "format": "date-time"}
        schema: dict[str, Any] = {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object"}
        schema["properties"] = props
        if required:
            schema["required"] = required
        return schema


# The model gives no `required` lists; a message type without its text or files cannot mean anything, so the
# stand-in requires them (and caps attachments at 5: the model writes that limit as an array "maxLength").
MESSAGE_TYPES: dict[str, MessageType] = {
    t.action: t
    for t in (
        MessageType("confirmCustomizationDetails", "confirmCustomizationDetails", 800, "optional"),
        MessageType("confirmDeliveryDetails", "createConfirmDeliveryDetails", 2000),
        MessageType("legalDisclosure", "createLegalDisclosure", None, "required"),
        MessageType("confirmOrderDetails", "createConfirmOrderDetails", 2000),
        MessageType("confirmServiceDetails", "createConfirmServiceDetails", 2000),
        MessageType("warranty", "CreateWarranty", None, "required", coverage_dates=True),
        MessageType("digitalAccessKey", "createDigitalAccessKey", 400, "optional"),
        MessageType("unexpectedProblem", "createUnexpectedProblem", 2000),
        MessageType("invoice", "sendInvoice", None, "required"),
    )
}


def validate_body(kind: MessageType, body: dict[str, Any]) -> str | None:
    """Why ``body`` is not acceptable for ``kind``, or None when it is."""
    text = body.get("text")
    if kind.text_max is not None:
        if not isinstance(text, str):
            return "text: required string"
        if not 1 <= len(text) <= kind.text_max:
            return f"text: length must be between 1 and {kind.text_max}"
    attachments = body.get("attachments")
    if kind.attachments == "required" or (kind.attachments == "optional" and attachments is not None):
        problem = _attachments_problem(attachments, required=kind.attachments == "required")
        if problem:
            return problem
    if kind.coverage_dates:
        for name in ("coverageStartDate", "coverageEndDate"):
            value = body.get(name)
            if value is not None and not _is_date_time(value):
                return f"{name}: must be an ISO 8601 date-time"
    return None


def _attachments_problem(value: object, *, required: bool) -> str | None:
    if not isinstance(value, list):
        return "attachments: required array"
    if required and not value:
        return "attachments: at least one attachment is required"
    if len(value) > MAX_ATTACHMENTS:
        return f"attachments: at most {MAX_ATTACHMENTS} attachments"
    for item in value:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("uploadDestinationId"), str)
            and isinstance(item.get("fileName"), str)
        ):
            return "attachments: each needs uploadDestinationId and fileName"
    return None


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str) or "T" not in value:
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True
