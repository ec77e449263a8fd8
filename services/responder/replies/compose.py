"""Compose the reply a classified complaint gets: policy decision, template and lint.

Nothing is sent here. The result is an outbox row: ``pending`` (the sender delivers it), ``draft`` (held for a
human with the prepared text) or ``blocked`` (the linter said no; kept with its violations).

Proactive (Messaging API) replies are decided with the actions the policy prefers; the sender asks
``getMessagingActionsForOrder`` right before sending and only sends an action Amazon lists for the order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.responder.replies.compliance import language_of_locale
from services.responder.replies.ids import ChannelId, template_category
from services.responder.replies.mail import reply_subject
from services.responder.replies.message import OutboundMessage, OutboxReply
from services.responder.replies.policy import ReplyContext, decide_reply
from services.responder.replies.templating import (
    RenderedReply,
    TemplateNotFoundError,
    TemplateOverride,
    TemplateVariableError,
    render_reply,
)
from services.responder.settings import ResponderSettings
from services.responder.tables import OrderContextRow
from services.responder.tickets.threads import outbox_key
from shared.events import ComplaintClassified
from shared.relay import reply_target

__all__ = ["PROVISIONAL_ACTIONS", "ReplyComposer", "ReplyDraft"]

PROVISIONAL_ACTIONS = ("unexpectedProblem", "confirmDeliveryDetails")
"""What the policy may pick before the sender confirms it with getMessagingActionsForOrder."""


@dataclass(frozen=True, slots=True)
class ReplyDraft:
    """A reply ready to become an outbox row, with the policy's reasons and its idempotency key."""

    reply: OutboxReply
    reason_codes: tuple[str, ...]
    idempotency_key: str


class ReplyComposer:
    """Turns a classified complaint into the reply the seller's policy and Amazon's rules allow."""

    def __init__(
        self,
        *,
        responder: ResponderSettings,
        overrides: Mapping[str, Mapping[str, str | TemplateOverride]] | None = None,
    ) -> None:
        self._settings = responder
        # explicit overrides (tests, tools) or the seller overrides from settings
        self._overrides = overrides if overrides is not None else responder.template_overrides

    def seller_name(self, seller_id: str) -> str:
        """How the seller signs replies."""
        return self._settings.seller_names.get(seller_id, "Customer Service")

    def variables(self, event: ComplaintClassified, order: OrderContextRow | None) -> dict[str, object]:
        """Template variables from the complaint and the order context."""
        s = event.signal
        values: dict[str, object] = {
            "order_id": event.order_id,
            "seller_name": self.seller_name(event.seller_id),
        }
        optional = {
            "buyer_name": s.buyer_name,
            "item_title": s.item_title,
            "asin": s.asin,
            "original_subject": s.subject,
            "latest_delivery_date": order.latest_delivery_date if order else None,
            "carrier": order.carrier if order else None,
        }
        values.update({k: v for k, v in optional.items() if v})
        return values

    def render(
        self,
        *,
        category: str,
        channel: str,
        locale: str | None,
        event: ComplaintClassified,
        order: OrderContextRow | None,
        variant: int = 0,
    ) -> RenderedReply:
        """Render one template (the seller's override first; ``variant``: another wording of it)."""
        return render_reply(
            category=category,
            channel=channel,
            buyer_locale=locale,
            marketplace_id=event.marketplace_id,
            variables=self.variables(event, order),
            overrides=self._overrides.get(event.seller_id),
            variant=variant,
        )

    def rerender(self, message: OutboundMessage, *, action: str, locale: str) -> str | None:
        """The queued text again in the buyer's locale (GetAttributes); None when no compliant text exists."""
        if language_of_locale(locale) == message.language and message.action == action:
            return message.body
        category = template_category(message.template_id)
        if category is None or not message.order_id:
            return None
        rendered = render_reply(
            category=category,
            channel=f"messaging:{action}",
            buyer_locale=locale,
            marketplace_id=None,
            variables={"order_id": message.order_id, "seller_name": self.seller_name(message.seller_id)},
            overrides=self._overrides.get(message.seller_id),
        )
        if rendered.fallback is not None or not rendered.lint.ok:
            return None
        return rendered.text

    def compose(
        self,
        event: ComplaintClassified,
        *,
        order: OrderContextRow | None,
        thread: str,
        buyer_alias: str | None,
        alias_changed: bool = False,
        variant: int = 0,
    ) -> ReplyDraft | None:
        """The reply to queue, or None when nothing needs saying.

        ``buyer_alias`` is the ticket's buyer alias (the only address an e-mail reply goes to); ``alias_changed``
        says this message came from another alias, which holds the reply for a human. ``variant`` asks for the
        template's n-th other wording (the identical-message cap); the idempotency key stays the main text's, so
        a thread never gets the same reply twice in two wordings.
        """
        milestones = (order.tracking_milestone,) if order and order.tracking_milestone else ()
        decision = decide_reply(
            event,
            available_actions=PROVISIONAL_ACTIONS,
            settings=self._settings,
            order_context=ReplyContext(tracking_milestones=milestones, alias_changed=alias_changed),
        )
        if decision.action == "no_reply" or decision.channel is None or decision.category is None:
            return None
        s = event.signal
        email = decision.channel == "email"
        reasons = list(decision.reasons)
        try:
            rendered = self.render(
                category=decision.category,
                channel=decision.channel,
                locale=s.language_hint or event.language,
                event=event,
                order=order,
                variant=variant,
            )
        except (TemplateVariableError, TemplateNotFoundError) as exc:
            rendered = None
            reasons.append(f"template_unavailable:{exc.code}")
        status = "pending" if decision.action == "send" else "draft"
        lint: list[dict[str, object]] = []
        if rendered is None:
            status = "draft"
        else:
            lint = [v.as_dict() for v in rendered.lint.violations]
            if not rendered.lint.ok:
                status = "blocked"
            elif not email and rendered.fallback is not None and status == "pending":
                status, reasons = "draft", [*reasons, f"language_fallback:{rendered.fallback}"]
        # Checked again here, whatever the policy said: an e-mail is only ever queued to a relay alias.
        target = reply_target(buyer_alias, marketplace_id=event.marketplace_id) if email else None
        if email and target is None and status == "pending":
            status, reasons = "draft", [*reasons, "no_reply_address"]
        headers: dict[str, str] = {}
        if email and s.message_id:
            headers["In-Reply-To"] = s.message_id
            headers["References"] = " ".join([*s.references, s.message_id])
        template_id = rendered.template_id if rendered else f"{decision.channel}/{decision.category}"
        version = rendered.template_version if rendered else "none"
        reply = OutboxReply(
            status=status,
            channel="email" if email else "messaging",
            action=None if email else ChannelId.parse(decision.channel).action,
            buyer_alias=target,
            subject=(rendered.subject if rendered and rendered.subject else reply_subject(s.subject))
            if email
            else None,
            body=rendered.text if rendered else "",
            headers=headers,
            template_id=template_id,
            template_version=f"{version}+v{rendered.variant}" if rendered and rendered.variant else version,
            language=rendered.language if rendered else None,
            fallback=rendered.fallback if rendered else None,
            lint=lint,
        )
        return ReplyDraft(
            reply=reply,
            reason_codes=tuple(reasons),
            idempotency_key=outbox_key(
                seller_id=event.seller_id,
                order_id=event.order_id,
                thread=thread,
                template_id=template_id,
                version=version,
            ),
        )
