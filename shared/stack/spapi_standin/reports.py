"""Reports 2021-06-30 operations of the stand-in, plus the presigned-URL download Amazon serves from S3."""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from shared.stack.spapi_standin.gateway import (
    JSON,
    Caller,
    Gateway,
    content_type,
    error_response,
    json_object,
)
from shared.stack.spapi_standin.reportstore import DOCUMENT_URL_TTL_S
from shared.stack.spapi_standin.state import StandinState

__all__ = ["DOWNLOAD_PATH", "add_report_routes"]

_BASE = "/reports/2021-06-30"
DOWNLOAD_PATH = "/_s3/report-documents"
_STATUSES = frozenset({"CANCELLED", "DONE", "FATAL", "IN_PROGRESS", "IN_QUEUE"})
_FILTERS = ("reportTypes", "processingStatuses", "marketplaceIds", "pageSize", "createdSince", "createdUntil")

Handler = Callable[[Request, Caller], Awaitable[Response]]


def add_report_routes(app: FastAPI, gateway: Gateway) -> None:
    """Register createReport, getReports, getReport, cancelReport, getReportDocument and the download URL."""
    state = gateway.state
    op = gateway.operation
    app.add_api_route(
        f"{_BASE}/reports", op("createReport", _create(state), media_type=JSON), methods=["POST"]
    )
    app.add_api_route(f"{_BASE}/reports", op("getReports", _list(state), media_type=JSON), methods=["GET"])
    app.add_api_route(
        f"{_BASE}/reports/{{reportId}}", op("getReport", _get(state), media_type=JSON), methods=["GET"]
    )
    app.add_api_route(
        f"{_BASE}/reports/{{reportId}}",
        op("cancelReport", _cancel(state), media_type=JSON),
        methods=["DELETE"],
    )
    app.add_api_route(
        f"{_BASE}/documents/{{reportDocumentId}}",
        op("getReportDocument", _document(state), media_type=JSON),
        methods=["GET"],
    )
    app.add_api_route(
        f"{DOWNLOAD_PATH}/{{documentId}}",
        gateway.open("downloadReportDocument", _download(state)),
        methods=["GET"],
    )


def _invalid(details: str) -> JSONResponse:
    return error_response(400, "InvalidInput", "Invalid input", details, media_type=JSON)


def _date_time(value: object) -> datetime | None:
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _create(state: StandinState) -> Handler:
    async def handle(request: Request, caller: Caller) -> Response:
        if content_type(request) != "application/json":
            return error_response(
                415, "UnsupportedMediaType", "The request's Content-Type header is invalid."
            )
        body = json_object(await request.body())
        if body is None:
            return _invalid("The request body must be a JSON object.")
        report_type, ids = body.get("reportType"), body.get("marketplaceIds")
        if not isinstance(report_type, str) or not report_type:
            return _invalid("reportType is required.")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 25 or not all(isinstance(i, str) for i in ids):
            return _invalid("marketplaceIds must list 1 to 25 marketplace identifiers.")
        options = body.get("reportOptions", {})
        if not isinstance(options, dict) or not all(isinstance(v, str) for v in options.values()):
            return _invalid("reportOptions must map strings to strings.")
        times: dict[str, datetime | None] = {}
        for name in ("dataStartTime", "dataEndTime"):
            raw = body.get(name)
            times[name] = _date_time(raw) if raw is not None else None
            if raw is not None and times[name] is None:
                return _invalid(f"{name} must be an ISO 8601 date-time with an offset.")
        start, end = times["dataStartTime"], times["dataEndTime"]
        if start is not None and end is not None and start > end:
            return _invalid("dataStartTime must not be after dataEndTime.")
        report = state.reports.create(
            seller_id=caller.seller_id,
            report_type=report_type,
            marketplace_ids=list(ids),
            data_start_time=start,
            data_end_time=end,
        )
        return JSONResponse({"reportId": report.report_id}, status_code=202)

    return handle


def _list(state: StandinState) -> Handler:
    async def handle(request: Request, caller: Caller) -> Response:
        query = request.query_params
        token = query.get("nextToken")
        if token is not None:
            if any(name in query for name in _FILTERS):
                return _invalid("nextToken must be the only parameter.")
            try:
                params: dict[str, Any] = json.loads(base64.urlsafe_b64decode(token.encode()))
            except ValueError:
                return _invalid("Invalid nextToken.")
        else:
            params = {name: query[name] for name in _FILTERS if name in query}
            if "reportTypes" not in params:
                return _invalid("Either reportTypes or nextToken is required.")
            params["offset"] = 0
        return _page(state, caller, params)

    return handle


def _page(state: StandinState, caller: Caller, params: dict[str, Any]) -> Response:
    def csv(name: str) -> list[str]:
        return [part for part in str(params.get(name, "")).split(",") if part]

    types, statuses, markets = csv("reportTypes"), csv("processingStatuses"), csv("marketplaceIds")
    if not 1 <= len(types) <= 10 or len(markets) > 10 or not set(statuses) <= _STATUSES:
        return _invalid("Invalid input in reportTypes, processingStatuses or marketplaceIds.")
    try:
        size = int(params.get("pageSize", 10))
    except ValueError:
        size = 0
    now = state.now()
    since = _date_time(params["createdSince"]) if "createdSince" in params else now - timedelta(days=90)
    until = _date_time(params["createdUntil"]) if "createdUntil" in params else now
    if not 1 <= size <= 100 or since is None or until is None:
        return _invalid("Invalid pageSize, createdSince or createdUntil.")
    found = state.reports.find(
        caller.seller_id,
        report_types=types,
        statuses=statuses,
        marketplace_ids=markets,
        created_since=since,
        created_until=until,
    )
    offset = int(params.get("offset", 0))
    body: dict[str, Any] = {"reports": [r.to_json() for r in found[offset : offset + size]]}
    if offset + size < len(found):
        following = {**params, "offset": offset + size, "createdUntil": until.isoformat()}
        body["nextToken"] = base64.urlsafe_b64encode(json.dumps(following).encode()).decode()
    return JSONResponse(body)


def _get(state: StandinState) -> Handler:
    async def handle(request: Request, caller: Caller) -> Response:
        report_id = request.path_params["reportId"]
        if not report_id.isdigit():
            return _invalid("Invalid input")
        report = state.reports.get(caller.seller_id, report_id)
        if report is None:
            return error_response(404, "NotFound", "The specified resource does not exist.", media_type=JSON)
        state.reports.poll(report)
        return JSONResponse(report.to_json())

    return handle


def _cancel(state: StandinState) -> Handler:
    async def handle(request: Request, caller: Caller) -> Response:
        report = state.reports.get(caller.seller_id, request.path_params["reportId"])
        if report is None:
            return error_response(404, "NotFound", "The specified resource does not exist.", media_type=JSON)
        if not state.reports.cancel(report):
            return _invalid("Only reports with processingStatus=IN_QUEUE can be cancelled.")
        return Response(status_code=200)

    return handle


def _document(state: StandinState) -> Handler:
    async def handle(request: Request, caller: Caller) -> Response:
        document_id = request.path_params["reportDocumentId"]
        doc = state.reports.document(caller.seller_id, document_id)
        if doc is None:
            return error_response(404, "NotFound", "The specified resource does not exist.", media_type=JSON)
        signature = state.reports.grant(document_id)
        url = (
            f"{str(request.base_url).rstrip('/')}{DOWNLOAD_PATH}/{document_id}"
            f"?X-Amz-Expires={int(DOCUMENT_URL_TTL_S)}&X-Amz-Signature={signature}"
        )
        body: dict[str, Any] = {"reportDocumentId": document_id, "url": url}
        if doc.gzip:
            body["compressionAlgorithm"] = "GZIP"
        return JSONResponse(body)

    return handle


def _download(state: StandinState) -> Callable[[Request], Awaitable[Response]]:
    async def handle(request: Request) -> Response:
        doc = state.reports.redeem(
            request.path_params["documentId"], request.query_params.get("X-Amz-Signature", "")
        )
        if doc is None:
            # What S3 answers for an expired or tampered presigned URL.
            xml = "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
            return Response(xml, status_code=403, media_type="application/xml")
        return Response(doc.data, media_type="application/octet-stream")

    return handle
