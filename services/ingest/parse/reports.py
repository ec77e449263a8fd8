"""Returns and feedback report documents to one ComplaintSignalReceived per row.

A bad row becomes a RowError the caller dead-letters; the other rows still parse. A document that cannot be
read at all (corrupt gzip, unknown type, missing key columns, malformed XML) raises ValidationError.
Dedup keys are built from row content, so overlapping re-downloads (and the flat and XML variants of the
MFN returns report) yield the same key for the same return.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.ingest.parse import marketplaces
from services.ingest.parse.build import build_event
from services.ingest.parse.report_decode import decode_report
from services.ingest.parse.report_values import parse_amount, parse_count, parse_flag, parse_report_date
from services.ingest.parse.report_xml import normalize_name, xml_rows
from services.ingest.parse.return_reasons import normalize_return_reason
from shared.errors import ValidationError
from shared.events import ComplaintSignalReceived, SignalKind, SignalSource, event_id_for

__all__ = [
    "FBA_RETURNS",
    "FEEDBACK",
    "MFN_RETURNS_FLAT",
    "MFN_RETURNS_XML",
    "SUPPORTED_REPORT_TYPES",
    "ReportParseResult",
    "RowError",
    "parse_report",
    "sniff_report_type",
]

MFN_RETURNS_FLAT = "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE"
MFN_RETURNS_XML = "GET_XML_RETURNS_DATA_BY_RETURN_DATE"
FBA_RETURNS = "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA"
FEEDBACK = "GET_SELLER_FEEDBACK_DATA"
SUPPORTED_REPORT_TYPES = (MFN_RETURNS_FLAT, MFN_RETURNS_XML, FBA_RETURNS, FEEDBACK)

_ALIASES = {
    "order_id": ("orderid", "amazonorderid"),
    "order_date": ("orderdate", "purchasedate"),
    "return_date": ("returnrequestdate", "returndate"),
    "rma": ("amazonrmaid", "rmaid"),
    "merchant_rma": ("merchantrmaid", "sellerrmaid"),
    "a_to_z": ("atozclaim", "azclaim"),
    "asin": ("asin",),
    "sku": ("merchantsku", "sellersku", "sku"),
    "title": ("itemname", "productname", "title"),
    "quantity": ("returnquantity", "quantity"),
    "reason": ("returnreason", "returnreasoncode", "reason", "customerreason"),
    "amount": ("orderamount",),
    "currency": ("currencycode", "currency"),
    "comments": ("customercomments", "comments", "buyercomments"),
    "lpn": ("licenseplatenumber",),
    "date": ("date", "feedbackdate"),
    "rating": ("rating",),
    "rater": ("rateremail",),
}
_REQUIRED = {
    MFN_RETURNS_FLAT: ("order_id", "return_date"),
    FBA_RETURNS: ("order_id", "return_date"),
    FEEDBACK: ("order_id", "date", "rating"),
}
_US = "ATVPDKIKX0DER"  # the only marketplace whose reports write month-first dates
_LINE_BREAK = re.compile(r"\r\n|\n|\r")
Row = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class RowError:
    """One row that could not become an event; ``row`` holds its cells by normalized column name."""

    report_type: str
    row_number: int
    reason: str
    row: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class ReportParseResult:
    """The events of the rows that parsed and the errors of those that did not."""

    report_type: str
    events: tuple[ComplaintSignalReceived, ...]
    errors: tuple[RowError, ...]


@dataclass(frozen=True, slots=True)
class _Context:
    report_type: str
    seller_id: str
    received_at: datetime
    correlation_id: str
    marketplace_id: str | None
    region: str | None
    language: str | None
    day_first: bool


def _pick(row: Row, field: str) -> str:
    for name in _ALIASES[field]:
        value = row.get(name)
        if value:
            return value.strip()
    return ""


def _date(row: Row, field: str, ctx: _Context) -> datetime | None:
    raw = _pick(row, field)
    return parse_report_date(raw, day_first=ctx.day_first) if raw else None


def _signal(
    ctx: _Context, dedup_key: str, occurred_at: datetime | None, **fields: Any
) -> ComplaintSignalReceived:
    return build_event(
        ComplaintSignalReceived,
        event_id=event_id_for(dedup_key),
        dedup_key=dedup_key,
        occurred_at=occurred_at or ctx.received_at,
        seller_id=ctx.seller_id,
        marketplace_id=ctx.marketplace_id,
        region=ctx.region,
        correlation_id=ctx.correlation_id,
        source=SignalSource.REPORT,
        language_hint=ctx.language,
        **fields,
    )


def _return_fields(row: Row) -> dict[str, Any]:
    reason = _pick(row, "reason") or None
    return {
        "kind": SignalKind.RETURN_REPORT_ROW,
        "order_id": _pick(row, "order_id"),
        "asin": _pick(row, "asin") or None,
        "sku": _pick(row, "sku") or None,
        "item_title": _pick(row, "title") or None,
        "quantity": parse_count(_pick(row, "quantity")),
        "return_reason_code": reason,
        "return_reason": normalize_return_reason(reason).value,
        "text": _pick(row, "comments"),
    }


def _mfn_return(row: Row, ctx: _Context) -> ComplaintSignalReceived:
    fields = _return_fields(row)
    returned = _date(row, "return_date", ctx)
    rma = _pick(row, "rma") or _pick(row, "merchant_rma")
    a_to_z = _pick(row, "a_to_z")
    item = fields["sku"] or fields["asin"] or "-"
    day = returned.date().isoformat() if returned else "-"
    key = f"report:mfn-returns:{ctx.seller_id}:{fields['order_id']}:{rma or '-'}:{item}:{day}"
    return _signal(
        ctx,
        key,
        returned or _date(row, "order_date", ctx),
        case_id=rma or None,
        a_to_z_claim=parse_flag(a_to_z) if a_to_z else False,
        order_amount=parse_amount(_pick(row, "amount")),
        currency=_pick(row, "currency") or None,
        **fields,
    )


def _fba_return(row: Row, ctx: _Context) -> ComplaintSignalReceived:
    fields = _return_fields(row)
    returned = _date(row, "return_date", ctx)
    unit = _pick(row, "lpn") or fields["sku"] or fields["asin"] or "-"
    stamp = returned.isoformat() if returned else "-"
    key = f"report:fba-returns:{ctx.seller_id}:{fields['order_id']}:{unit}:{stamp}"
    return _signal(ctx, key, returned, **fields)


def _feedback(row: Row, ctx: _Context) -> ComplaintSignalReceived:
    rated = _date(row, "date", ctx)
    rating_text = _pick(row, "rating")
    if not rating_text.isdigit() or not 1 <= int(rating_text) <= 5:
        raise ValueError(f"rating {rating_text!r} is not 1 to 5")
    rater = _pick(row, "rater").lower()
    order_id = _pick(row, "order_id")
    key = f"report:feedback:{ctx.seller_id}:{order_id}:{rated.date().isoformat() if rated else '-'}"
    return _signal(
        ctx,
        key,
        rated,
        kind=SignalKind.FEEDBACK_REPORT_ROW,
        order_id=order_id,
        feedback_rating=int(rating_text),
        text=_pick(row, "comments"),
        buyer_alias=rater if "@" in rater else None,
    )


_ROW_PARSERS: dict[str, Callable[[Row, _Context], ComplaintSignalReceived]] = {
    MFN_RETURNS_FLAT: _mfn_return,
    MFN_RETURNS_XML: _mfn_return,
    FBA_RETURNS: _fba_return,
    FEEDBACK: _feedback,
}


def _table(text: str, report_type: str) -> tuple[list[tuple[int, dict[str, str]]], list[RowError]]:
    lines = _LINE_BREAK.split(text.lstrip("\ufeff"))
    start = next((index for index, line in enumerate(lines) if line.strip()), None)
    if start is None or "\t" not in lines[start]:
        raise ValidationError(f"{report_type}: not a tab-delimited report (no header line with tabs)")
    names = [normalize_name(cell) for cell in lines[start].split("\t")]
    missing = [field for field in _REQUIRED[report_type] if not set(names) & set(_ALIASES[field])]
    if missing:
        raise ValidationError(f"{report_type}: required columns missing: {', '.join(missing)}")
    rows: list[tuple[int, dict[str, str]]] = []
    errors: list[RowError] = []
    for number, line in enumerate(lines[start + 1 :], start=start + 2):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) > len(names) and any(cell.strip() for cell in cells[len(names) :]):
            reason = f"row has {len(cells)} cells but the header has {len(names)}"
            errors.append(RowError(report_type, number, reason, {str(i): c for i, c in enumerate(cells)}))
            continue
        cells += [""] * (len(names) - len(cells))
        rows.append((number, {name: cell.strip() for name, cell in zip(names, cells, strict=False) if name}))
    return rows, errors


def _sniff_text(text: str) -> str | None:
    text = text.lstrip("\ufeff \t\r\n")
    if text.startswith("<"):
        return MFN_RETURNS_XML if re.search(r"<\s*(?:\w+:)?order_id\b", text, re.IGNORECASE) else None
    names = {normalize_name(cell) for cell in _LINE_BREAK.split(text, maxsplit=1)[0].split("\t")}
    if names & {"licenseplatenumber", "detaileddisposition", "fulfillmentcenterid"} and "returndate" in names:
        return FBA_RETURNS
    if names & {"amazonrmaid", "returnrequestdate"}:
        return MFN_RETURNS_FLAT
    if {"rating", "orderid"} <= names:
        return FEEDBACK
    return None


def sniff_report_type(data: bytes, *, charset: str | None = None) -> str | None:
    """Which supported report a document is, from its XML tags or header line; None when unknown."""
    return _sniff_text(decode_report(data, charset=charset))


def parse_report(
    data: bytes,
    *,
    report_type: str | None,
    seller_id: str,
    received_at: datetime,
    correlation_id: str,
    marketplace_id: str | None = None,
    region: str | None = None,
    charset: str | None = None,
) -> ReportParseResult:
    """Parse a returns or feedback report document (plain or gzip) into per-row events and row errors."""
    market = marketplaces.by_id(marketplace_id)
    text = decode_report(data, charset=charset, japanese=market is not None and market.language == "ja")
    kind = report_type or _sniff_text(text)
    if kind is None:
        raise ValidationError("cannot tell which report this is; pass the report type")
    if kind not in _ROW_PARSERS:
        raise ValidationError(f"unsupported report type {kind}")
    ctx = _Context(
        report_type=kind,
        seller_id=seller_id,
        received_at=received_at,
        correlation_id=correlation_id,
        marketplace_id=marketplace_id,
        region=region or (market.region if market else None),
        language=market.language if market else None,
        day_first=marketplace_id != _US,
    )
    errors: list[RowError] = []
    if kind == MFN_RETURNS_XML:
        rows = xml_rows(text)
    else:
        rows, errors = _table(text, kind)
    events: list[ComplaintSignalReceived] = []
    for number, row in rows:
        try:
            if not _pick(row, "order_id"):
                raise ValueError("order id is empty")
            events.append(_ROW_PARSERS[kind](row, ctx))
        except (ValueError, ValidationError) as exc:
            errors.append(RowError(kind, number, str(exc), row))
    return ReportParseResult(kind, tuple(events), tuple(sorted(errors, key=lambda error: error.row_number)))
