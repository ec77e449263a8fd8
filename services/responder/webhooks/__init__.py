"""Generic signed webhooks: ticket.created, ticket.updated and reply.sent for other helpdesks and ERPs.

Events become ``webhook_deliveries`` rows in the transaction of the change they report (one per subscription
that wants them); the API process's loop posts them signed with ``workers/webhook.py``, the home of signing.
"""

__all__: list[str] = []
