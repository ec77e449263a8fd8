"""The internal HTTP API for a seller's ops team, ERP and dashboards (``create_app`` lives in ``app``)."""

__all__: list[str] = []
