"""The outbox: the row builder, the sender, budgets, seller ownership, leases, outcomes and transports."""

__all__: list[str] = []
