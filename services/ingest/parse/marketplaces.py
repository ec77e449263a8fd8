"""Amazon marketplaces (the table lives in ``shared.marketplaces``; the responder checks relay aliases with it)."""

from __future__ import annotations

from shared.marketplaces import MARKETPLACES, Marketplace, by_domain, by_id

__all__ = ["MARKETPLACES", "Marketplace", "by_domain", "by_id"]
