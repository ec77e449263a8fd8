"""Local stand-ins and the local stack the project runs against (never imported by services in production).

``LocalStack`` composes the parts; each module also works alone: ``kafka`` (Tansu broker), ``postgres``
(server selection, database create/drop), ``aws`` (moto + resources), ``smtp`` (recording SMTP server).
"""

from shared.stack.local import LocalStack, StackEndpoints, StandinHandle

__all__ = ["LocalStack", "StackEndpoints", "StandinHandle"]
