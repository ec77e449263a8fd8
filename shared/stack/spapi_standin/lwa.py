"""Login with Amazon token endpoint of the stand-in (refresh_token and client_credentials grants)."""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from shared.stack.spapi_standin.gateway import Endpoint, Gateway, content_type
from shared.stack.spapi_standin.state import StandinState

__all__ = ["LWA_PATH", "add_lwa_route"]

LWA_PATH = "/auth/o2/token"
_SCOPES = frozenset(
    {
        "sellingpartnerapi::notifications",
        "sellingpartnerapi::migration",
        "sellingpartnerapi::client_credential:rotation",
    }
)


def add_lwa_route(app: FastAPI, gateway: Gateway) -> None:
    """Register ``POST /auth/o2/token``."""
    app.add_api_route(LWA_PATH, gateway.open("lwaToken", _token(gateway.state)), methods=["POST"])


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error_description": description, "error": error}, status_code=status)


def _token(state: StandinState) -> Endpoint:
    async def handle(request: Request) -> Response:
        if content_type(request) != "application/x-www-form-urlencoded":
            return _oauth_error(
                400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded"
            )
        form = {key: values[0] for key, values in parse_qs((await request.body()).decode()).items()}
        grant = form.get("grant_type")
        if grant not in ("refresh_token", "client_credentials"):
            return _oauth_error(
                400, "unsupported_grant_type", "The authorization grant type is not supported"
            )
        client_id = form.get("client_id", "")
        if not client_id or not form.get("client_secret"):
            return _oauth_error(
                400, "invalid_request", "The request is missing a required parameter : client_id"
            )
        if state.clients.get(client_id) != form["client_secret"]:
            return _oauth_error(401, "invalid_client", "Client authentication failed")
        if grant == "client_credentials":
            scope = form.get("scope", "")
            if scope not in _SCOPES:
                return _oauth_error(400, "invalid_scope", "The request has an invalid parameter : scope")
            token = state.issue_token(client_id=client_id, seller_id=None, scope=scope)
            return JSONResponse(
                {
                    "access_token": token.value,
                    "scope": scope,
                    "token_type": "bearer",
                    "expires_in": state.token_ttl_s,
                }
            )
        refresh_token = form.get("refresh_token", "")
        seller_id = state.refresh_tokens.get(refresh_token)
        if seller_id is None:
            return _oauth_error(
                400, "invalid_grant", "The request has an invalid grant parameter : refresh_token"
            )
        token = state.issue_token(client_id=client_id, seller_id=seller_id, scope=None)
        return JSONResponse(
            {
                "access_token": token.value,
                "refresh_token": refresh_token,
                "token_type": "bearer",
                "expires_in": state.token_ttl_s,
            }
        )

    return handle
