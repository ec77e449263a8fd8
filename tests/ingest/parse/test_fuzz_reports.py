"""Fuzz the returns / feedback report parser (flat files, XML, gzip, charsets) from the repo's report fixtures."""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.ingest.parse import report_xml
from services.ingest.parse.report_decode import decode_report
from services.ingest.parse.report_values import parse_amount, parse_count, parse_flag, parse_report_date
from services.ingest.parse.report_xml import xml_rows
from services.ingest.parse.reports import (
    SUPPORTED_REPORT_TYPES,
    ReportParseResult,
    parse_report,
    sniff_report_type,
)
from shared.errors import ValidationError
from tests.ingest.parse.fuzz_support import (
    FUZZ,
    bytes_mutant,
    check_event,
    fixture_bytes,
    nasty_text,
    run_parser,
)
from tests.ingest.parse.support import RECEIVED_AT

_CELLS = [
    "", "N", "Y", "yes", "0", "-1", "99999999999999999999", "9" * 5000, "²", "1e999", "NaN", "1.234,56", "--1",
    "€ 12,99", "2024-02-30", "31/12/9999 23:59", "0001-01-01T00:00:00+01:00", "Dec 32, 2024", "2024年13月1日",
    '"quoted\tcell"', "a\x00b", "\ufeff", "=cmd|' /C calc'!A0",
]  # fmt: skip
_CHARSETS = [None, "utf-8", "cp1252", "shift_jis", "utf-16", "latin-1", "undefined", "idna", "x-bad", "hex"]
_MARKETPLACES = [None, "ATVPDKIKX0DER", "A1VC38T7YXB528", "A1PA6795UKMFR9", "UNKNOWNMKT"]

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">]>
<root><return_details><order_id>&lol9;</order_id></return_details></root>"""
XXE = """<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<root><return_details><order_id>&x;</order_id></return_details></root>"""


@pytest.fixture(scope="module")
def reports() -> list[bytes]:
    """Every report fixture (flat UTF-8, Windows-1252, Shift_JIS, gzip, XML)."""
    return fixture_bytes("reports", ".tsv", ".tsv.gz", ".xml")


def _table_mutant(draw: st.DrawFn, text: str) -> str:
    lines = text.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        op = draw(
            st.sampled_from(["cell", "drop_column", "extra_cells", "swap_columns", "header_only", "row_copy"])
        )
        row = draw(st.integers(0, max(0, len(lines) - 1)))
        cells = lines[row].split("\t") if lines else [""]
        column = draw(st.integers(0, len(cells) - 1))
        if op == "cell":
            cells[column] = draw(st.one_of(st.sampled_from(_CELLS), nasty_text(60)))
            lines[row] = "\t".join(cells)
        elif op == "drop_column":
            lines = ["\t".join(c for i, c in enumerate(line.split("\t")) if i != column) for line in lines]
        elif op == "extra_cells":
            lines[row] = lines[row] + "\t" * draw(st.integers(1, 5)) + draw(st.sampled_from(_CELLS))
        elif op == "swap_columns":
            other = draw(st.integers(0, len(cells) - 1))
            cells[column], cells[other] = cells[other], cells[column]
            lines[row] = "\t".join(cells)
        elif op == "header_only":
            lines = lines[:1]
        else:
            lines.insert(row, lines[row] if lines else "")
    return draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)


def _xml_mutant(draw: st.DrawFn, text: str) -> str:
    op = draw(st.sampled_from(["text", "deep", "unclosed", "entity", "records"]))
    if op == "text":
        value = (
            draw(st.one_of(st.sampled_from(_CELLS), nasty_text(60)))
            .replace("<", "&lt;")
            .replace("&", "&amp;")
        )
        return text.replace(">112-", f">{value}", 1)
    if op == "deep":
        depth = draw(st.sampled_from([1, 2, 50, 999, 3000]))
        return text.replace(
            "</return_details>", "<a>" * depth + "x" + "</a>" * depth + "</return_details>", 1
        )
    if op == "unclosed":
        return text[: draw(st.integers(0, len(text)))]
    if op == "entity":
        return draw(st.sampled_from([BILLION_LAUGHS, XXE, text.replace("<root>", "<root>&amp;&#0;&#xD800;")]))
    return text.replace("<root>", "<root>" + "<return_details><order_id>1</order_id></return_details>" * 200)


@st.composite
def report_mutant(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed report changed at the text level (cells, columns, XML), re-encoded, then byte-mangled."""
    raw = draw(st.sampled_from(seeds))
    text = decode_report(raw)
    text = (
        _xml_mutant(draw, text) if text.lstrip("\ufeff \r\n").startswith("<") else _table_mutant(draw, text)
    )
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "cp932", "utf-16"]))
    data = text.encode(encoding, "replace")
    if draw(st.booleans()):
        data = gzip.compress(data)
    return draw(bytes_mutant([data])) if draw(st.booleans()) else data


def _parse(data: bytes, report_type: str | None, marketplace: str | None, charset: str | None) -> None:
    run_parser("report sniff", lambda: sniff_report_type(data, charset=charset))
    result: ReportParseResult | None = run_parser(
        "reports",
        lambda: parse_report(
            data,
            report_type=report_type,
            seller_id="SELLERFUZZ",
            received_at=RECEIVED_AT,
            correlation_id="fuzz",
            marketplace_id=marketplace,
            charset=charset,
        ),
    )
    for event in result.events if result is not None else ():
        check_event(event)


@FUZZ
@given(
    data=st.data(),
    report_type=st.sampled_from([None, *SUPPORTED_REPORT_TYPES]),
    marketplace=st.sampled_from(_MARKETPLACES),
    charset=st.sampled_from(_CHARSETS),
)
def test_mutated_reports_give_rows_or_classified_errors(
    reports: list[bytes],
    data: st.DataObject,
    report_type: str | None,
    marketplace: str | None,
    charset: str | None,
) -> None:
    _parse(data.draw(report_mutant(reports)), report_type, marketplace, charset)


@FUZZ
@given(
    data=st.one_of(st.binary(max_size=3000), st.binary(max_size=300).map(gzip.compress)),
    report_type=st.sampled_from([None, *SUPPORTED_REPORT_TYPES, "GET_UNKNOWN_REPORT"]),
    charset=st.sampled_from(_CHARSETS),
)
def test_arbitrary_bytes_give_classified_errors(
    data: bytes, report_type: str | None, charset: str | None
) -> None:
    _parse(data, report_type, None, charset)


@pytest.mark.parametrize("document", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_xml_entities_are_refused_not_expanded(document: str) -> None:
    with pytest.raises(ValidationError, match="DTD or entities"):
        parse_report(
            document.encode(),
            report_type=None,
            seller_id="SELLERFUZZ",
            received_at=RECEIVED_AT,
            correlation_id="fuzz",
        )


@pytest.mark.parametrize("charset", ["undefined", "idna", "hex"])
def test_a_declared_charset_whose_codec_always_fails_falls_back(charset: str) -> None:
    # Regression: "undefined" and "idna" raise a bare UnicodeError, which escaped as a crash.
    assert decode_report("order-id\tGrüße\n".encode(), charset=charset) == "order-id\tGrüße\n"


def test_a_record_nested_thousands_deep_is_flattened() -> None:
    # Regression: the leaf walk recursed once per level and raised RecursionError.
    deep = "<a>" * 5000 + "<sku>DEEP-1</sku>" + "</a>" * 5000
    rows = xml_rows(f"<root><return_details><order_id>1</order_id>{deep}</return_details></root>")
    assert rows == [(1, {"orderid": "1", "sku": "DEEP-1"})]


def test_the_parser_itself_refuses_a_dtd(monkeypatch: pytest.MonkeyPatch) -> None:
    # Defence in depth: with the text pre-check disabled, expat still stops at the DOCTYPE instead of
    # expanding the entity into the order id (it did before the tree builder refused doctypes).
    monkeypatch.setattr(report_xml, "_DTD", re.compile(r"(?!)"))
    document = (
        '<!DOCTYPE r [<!ENTITY x "expanded">]>'
        "<root><return_details><order_id>&x;</order_id></return_details></root>"
    )
    with pytest.raises(ValidationError, match="declares a DTD"):
        xml_rows(document)


def _cell(parse: Callable[[str], object], raw: str) -> object:
    """A cell parser's contract is ValueError, which parse_report turns into a RowError; the same here."""
    try:
        return parse(raw)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


@FUZZ
@given(raw=st.one_of(st.sampled_from(_CELLS), nasty_text(80)), day_first=st.booleans())
def test_cell_parsers_give_values_or_value_errors(raw: str, day_first: bool) -> None:
    parsers: list[Callable[[str], object]] = [
        lambda text: parse_report_date(text, day_first=day_first),
        parse_amount,
        parse_count,
        parse_flag,
    ]
    for parse in parsers:
        run_parser("report cells", lambda: _cell(parse, raw))  # noqa: B023 - called before the next iteration
