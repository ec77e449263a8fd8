"""Tickets: the status type, its transitions, the timeline and the ticket repository."""

__all__: list[str] = []
