"""Reports 2021-06-30 in the stand-in: lifecycle, documents, gzip, presigned-URL expiry, listing."""

from __future__ import annotations

import gzip
from typing import Any

import httpx
from jsonschema import Draft4Validator

from shared.stack.spapi_standin import StandinHandle, StandinState, start_standin
from tests.shared.spapi.conftest import US, FakeClock, access_token

RETURNS = "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE"
BASE = "/reports/2021-06-30"
TSV = b"Order ID\tReturn Reason\n111-0000000-0000001\tCR-DEFECTIVE\n"

# The Reports 2021-06-30 model is not among the copied files; these are its Report / ReportDocument
# required fields and enums, so a shape regression in the stand-in fails here.
_DATE_TIME = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"}
REPORT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["processingStatus", "reportId", "reportType", "createdTime"],
    "additionalProperties": False,
    "properties": {
        "marketplaceIds": {"type": "array", "items": {"type": "string"}},
        "reportId": {"type": "string"},
        "reportType": {"type": "string"},
        "dataStartTime": _DATE_TIME,
        "dataEndTime": _DATE_TIME,
        "reportScheduleId": {"type": "string"},
        "createdTime": _DATE_TIME,
        "processingStatus": {"enum": ["CANCELLED", "DONE", "FATAL", "IN_PROGRESS", "IN_QUEUE"]},
        "processingStartTime": _DATE_TIME,
        "processingEndTime": _DATE_TIME,
        "reportDocumentId": {"type": "string"},
    },
}
DOCUMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["reportDocumentId", "url"],
    "additionalProperties": False,
    "properties": {
        "reportDocumentId": {"type": "string"},
        "url": {"type": "string"},
        "compressionAlgorithm": {"enum": ["GZIP"]},
    },
}


def _valid(schema: dict[str, Any], instance: Any) -> None:
    errors = [e.message for e in Draft4Validator(schema).iter_errors(instance)]
    assert not errors, errors


async def _headers(standin: StandinHandle, http: httpx.AsyncClient, seller: str = "S1") -> dict[str, str]:
    standin.state.add_seller(seller, f"Atzr|{seller}")
    return {"x-amz-access-token": await access_token(http, standin, f"Atzr|{seller}")}


async def _create(http: httpx.AsyncClient, headers: dict[str, str], report_type: str = RETURNS) -> str:
    spec = {"reportType": report_type, "marketplaceIds": [US], "dataStartTime": "2026-01-01T00:00:00Z"}
    response = await http.post(f"{BASE}/reports", headers=headers, json=spec)
    assert response.status_code == 202
    report_id: str = response.json()["reportId"]
    return report_id


async def test_report_is_done_after_the_seeded_number_of_polls_and_downloads_gzip(
    standin: StandinHandle, http: httpx.AsyncClient
) -> None:
    headers = await _headers(standin, http)
    standin.state.set_report("S1", RETURNS, TSV, gzip=True, polls_until_done=2)
    report_id = await _create(http, headers)
    seen = []
    for _ in range(3):
        polled = await http.get(f"{BASE}/reports/{report_id}", headers=headers)
        assert polled.headers["x-amzn-RateLimit-Limit"] == "2.0"
        report = polled.json()
        _valid(REPORT_SCHEMA, report)
        seen.append(report["processingStatus"])
    assert seen == ["IN_QUEUE", "IN_PROGRESS", "DONE"]
    assert report["marketplaceIds"] == [US]
    document = (await http.get(f"{BASE}/documents/{report['reportDocumentId']}", headers=headers)).json()
    _valid(DOCUMENT_SCHEMA, document)
    assert document["compressionAlgorithm"] == "GZIP"
    async with httpx.AsyncClient(trust_env=False) as s3:
        stored = await s3.get(document["url"])
    assert stored.status_code == 200
    assert gzip.decompress(stored.content) == TSV


async def test_report_without_data_is_cancelled_and_a_fatal_one_has_no_document(
    standin: StandinHandle, http: httpx.AsyncClient
) -> None:
    headers = await _headers(standin, http)
    standin.state.set_report("S1", "GET_SELLER_FEEDBACK_DATA", b"", outcome="FATAL")
    empty = (await http.get(f"{BASE}/reports/{await _create(http, headers)}", headers=headers)).json()
    fatal_id = await _create(http, headers, "GET_SELLER_FEEDBACK_DATA")
    fatal = (await http.get(f"{BASE}/reports/{fatal_id}", headers=headers)).json()
    assert (empty["processingStatus"], fatal["processingStatus"]) == ("CANCELLED", "FATAL")
    assert "reportDocumentId" not in empty
    assert "reportDocumentId" not in fatal


async def test_reports_and_documents_belong_to_their_seller(
    standin: StandinHandle, http: httpx.AsyncClient
) -> None:
    owner = await _headers(standin, http, "S1")
    stranger = await _headers(standin, http, "S2")
    standin.state.set_report("S1", RETURNS, TSV)
    report_id = await _create(http, owner)
    report = (await http.get(f"{BASE}/reports/{report_id}", headers=owner)).json()
    assert (await http.get(f"{BASE}/reports/{report_id}", headers=stranger)).status_code == 404
    document = f"{BASE}/documents/{report['reportDocumentId']}"
    assert (await http.get(document, headers=stranger)).status_code == 404
    assert (await http.get(f"{BASE}/reports/not-a-number", headers=owner)).status_code == 400


async def test_create_report_rejects_what_the_model_forbids(
    standin: StandinHandle, http: httpx.AsyncClient
) -> None:
    headers = await _headers(standin, http)
    bad_specs: list[dict[str, Any]] = [
        {"marketplaceIds": [US]},
        {"reportType": RETURNS},
        {"reportType": RETURNS, "marketplaceIds": []},
        {"reportType": RETURNS, "marketplaceIds": [US], "dataStartTime": "yesterday"},
        {"reportType": RETURNS, "marketplaceIds": [US], "reportOptions": {"a": 1}},
    ]
    for spec in bad_specs:
        response = await http.post(f"{BASE}/reports", headers=headers, json=spec)
        assert response.status_code == 400, spec
        assert response.json()["errors"][0]["code"] == "InvalidInput"
    assert standin.state.reports.reports == {}


async def test_get_reports_filters_and_pages(standin: StandinHandle, http: httpx.AsyncClient) -> None:
    headers = await _headers(standin, http)
    standin.state.set_rate_limit("createReport", 100.0, 15)
    standin.state.set_report("S1", RETURNS, TSV)
    created = [await _create(http, headers) for _ in range(3)]
    await _create(http, headers, "GET_SELLER_FEEDBACK_DATA")
    first = await http.get(f"{BASE}/reports", headers=headers, params={"reportTypes": RETURNS, "pageSize": 2})
    body = first.json()
    assert len(body["reports"]) == 2
    second = await http.get(f"{BASE}/reports", headers=headers, params={"nextToken": body["nextToken"]})
    ids = [r["reportId"] for r in body["reports"] + second.json()["reports"]]
    assert sorted(ids) == sorted(created)
    assert "nextToken" not in second.json()
    mixed = await http.get(
        f"{BASE}/reports", headers=headers, params={"nextToken": body["nextToken"], "pageSize": 2}
    )
    assert mixed.status_code == 400
    assert (await http.get(f"{BASE}/reports", headers=headers)).status_code == 400


async def test_cancel_only_while_in_queue(standin: StandinHandle, http: httpx.AsyncClient) -> None:
    headers = await _headers(standin, http)
    standin.state.set_report("S1", RETURNS, TSV, polls_until_done=5)
    report_id = await _create(http, headers)
    assert (await http.delete(f"{BASE}/reports/{report_id}", headers=headers)).status_code == 200
    report = (await http.get(f"{BASE}/reports/{report_id}", headers=headers)).json()
    assert report["processingStatus"] == "CANCELLED"
    assert (await http.delete(f"{BASE}/reports/{report_id}", headers=headers)).status_code == 400


async def test_document_url_expires_after_five_minutes() -> None:
    clock = FakeClock()
    state = StandinState(clock=clock)
    handle = await start_standin(state=state)
    try:
        async with httpx.AsyncClient(base_url=handle.base_url, trust_env=False) as http:
            headers = await _headers(handle, http)
            state.set_report("S1", RETURNS, TSV)
            report_id = await _create(http, headers)
            report = (await http.get(f"{BASE}/reports/{report_id}", headers=headers)).json()
            url = (await http.get(f"{BASE}/documents/{report['reportDocumentId']}", headers=headers)).json()[
                "url"
            ]
            assert (await http.get(url)).content == TSV
            tampered = url.rsplit("=", 1)[0] + "=0000"
            assert (await http.get(tampered)).status_code == 403
            clock.advance(301)
            assert (await http.get(url)).status_code == 403
    finally:
        await handle.stop()
