"""Review requests (Solicitations API): one per order, scheduled from the order context, sent by the outbox.

Amazon forbids asking selectively: nothing here reads tickets, complaints, returns or ratings. The only skips
are the ones Amazon allows or requires (cancelled, not offered, outside the window, already asked).
"""

__all__: list[str] = []
