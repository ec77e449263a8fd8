"""A loopback stand-in for the parts of Zendesk's Support API the helpdesk sync uses.

Tickets API (create with ``Idempotency-Key``, update with comments, tags and custom fields, list by
``external_id``, show_many, a ticket's comments), token authentication, a per-minute rate limit answered with
429 + ``Retry-After``, and injectable 429/5xx faults; tests seed and read it through ``/_standin/``.
"""

from shared.stack.zendesk_standin.server import ZendeskHandle, create_app, start_zendesk
from shared.stack.zendesk_standin.state import ZendeskFault, ZendeskState, ZendeskTicket

__all__ = ["ZendeskFault", "ZendeskHandle", "ZendeskState", "ZendeskTicket", "create_app", "start_zendesk"]
