"""Replies: policy, composition, templating, compliance, mail rendering and buyer aliases."""

__all__: list[str] = []
