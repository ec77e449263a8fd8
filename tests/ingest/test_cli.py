"""The ``parse`` command on captured payloads: JSON lines on stdout, errors on stderr, exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.ingest.cli import app
from services.ingest.parse.captured import CapturedResult, ParseOptions
from shared.events import ComplaintSignalReceived, OrderContextUpdated, parse_amazon_event
from tests.ingest.parse.support import FIXTURES, eventbridge_event, load_json, ses_notification, sns_envelope

runner = CliRunner()


def _run(*args: str) -> tuple[int, list[str], str]:
    result = runner.invoke(app, ["parse", *args])
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, lines, result.stderr


def _write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return str(path)


def test_every_kind_of_input_in_one_run(tmp_path: Path) -> None:
    notification = load_json(FIXTURES / "notifications" / "order_change.json")
    mail = (FIXTURES / "mail" / "de_current_multipart_qp.eml").read_bytes()
    files = [
        _write(tmp_path, "sqs-body.json", json.dumps(notification)),
        _write(tmp_path, "eventbridge.json", json.dumps(eventbridge_event(notification, event_id="x"))),
        _write(tmp_path, "sns-ses.json", json.dumps(sns_envelope(ses_notification(mail)))),
        _write(tmp_path, "raw-ses.json", json.dumps(ses_notification(mail, encoding="BASE64"))),
        str(FIXTURES / "mail" / "ja_iso2022jp_plain.eml"),
        str(FIXTURES / "reports" / "mfn_returns.xml"),
        str(FIXTURES / "reports" / "fba_returns.tsv.gz"),
        str(FIXTURES / "reports" / "feedback.tsv"),
    ]
    code, lines, stderr = _run(*files, "--seller-id", "A1TESTSELLER01")
    assert (code, stderr) == (0, "")
    events = [parse_amazon_event(line) for line in lines]
    # Each line is exactly the Kafka JSON of its event.
    assert [event.model_dump_json() for event in events] == lines
    assert [type(event).__name__ for event in events[:2]] == ["OrderContextUpdated", "OrderContextUpdated"]
    assert [event.source.value for event in events[:4]] == ["sqs", "eventbridge", "email", "email"]
    assert len(events) == 4 + 1 + 3 + 3 + 2
    mail_events = [event for event in events if isinstance(event, ComplaintSignalReceived)][:3]
    assert {event.order_id for event in mail_events} == {"302-1234567-7654321", "503-1234567-1234567"}


def test_s3_reference_is_an_error_line_and_other_inputs_still_print(tmp_path: Path) -> None:
    s3 = _write(
        tmp_path, "s3.json", json.dumps(sns_envelope(ses_notification(None, s3=("bucket", "mail/key"))))
    )
    good = str(FIXTURES / "notifications" / "fba_outbound_shipment_status.json")
    code, lines, stderr = _run(s3, good)
    assert code == 1
    assert "s3://bucket/mail/key" in stderr
    assert "cannot be fetched offline" in stderr
    assert len(lines) == 1
    assert isinstance(parse_amazon_event(lines[0]), OrderContextUpdated)


def test_missing_file_and_unknown_input_fail_without_stopping(tmp_path: Path) -> None:
    junk = _write(tmp_path, "junk.txt", "hello world\n")
    good = str(FIXTURES / "mail" / "en_refund_issued.eml")
    code, lines, stderr = _run(str(tmp_path / "missing.json"), junk, good, "--seller-id", "S1")
    assert code == 1
    assert "missing.json: error: cannot read" in stderr
    assert "junk.txt: error: unrecognised input" in stderr
    assert len(lines) == 1


def test_report_row_errors_are_reported(tmp_path: Path) -> None:
    report = _write(tmp_path, "feedback.tsv", "Date\tRating\tComments\tOrder ID\n2024-05-01\t9\tx\t1\n")
    code, lines, stderr = _run(report, "--seller-id", "S1")
    assert (code, lines) == (1, [])
    assert "row 2: rating '9' is not 1 to 5" in stderr


def test_reports_and_mail_need_a_seller() -> None:
    code, lines, stderr = _run(
        str(FIXTURES / "reports" / "feedback.tsv"), str(FIXTURES / "mail" / "en_refund_issued.eml")
    )
    assert (code, lines) == (1, [])
    assert "pass --seller-id" in stderr
    assert "no default seller" in stderr


def test_report_type_option_skips_sniffing(tmp_path: Path) -> None:
    # Without the option this header is not recognisable as an FBA returns report.
    report = _write(tmp_path, "r.tsv", "order-id\treturn-date\tsku\n113-1-1\t2024-05-01\tS\n")
    code, _lines, stderr = _run(report, "--seller-id", "S1")
    assert code == 1
    assert "unrecognised input" in stderr
    code, lines, _stderr = _run(
        report, "--seller-id", "S1", "--report-type", "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA"
    )
    assert code == 0
    assert parse_amazon_event(lines[0]).order_id == "113-1-1"


def test_sqs_receive_message_output_and_json_lines(tmp_path: Path) -> None:
    notification = load_json(FIXTURES / "notifications" / "account_status_changed.json")
    other = load_json(FIXTURES / "notifications" / "any_offer_changed.json")
    receive = {"Messages": [{"MessageId": "m1", "Body": json.dumps(notification)}, {"Body": "not json"}]}
    jsonl = json.dumps(notification) + "\n" + json.dumps(other) + "\n"
    code, lines, stderr = _run(
        _write(tmp_path, "receive.json", json.dumps(receive)),
        _write(tmp_path, "bodies.jsonl", jsonl),
        "--seller-id",
        "S1",
    )
    assert code == 1
    assert "document 2: SQS body is not valid JSON" in stderr
    assert [parse_amazon_event(line).event_type for line in lines] == [
        "SellerAccountStatusChanged",
        "SellerAccountStatusChanged",
        "NotificationReceived",
    ]


def test_same_file_prints_the_same_lines() -> None:
    path = str(FIXTURES / "notifications" / "order_change.json")
    assert _run(path)[1] == _run(path)[1]


def test_standard_input_and_output_file(tmp_path: Path) -> None:
    notification = (FIXTURES / "notifications" / "order_change.json").read_bytes()
    out = tmp_path / "events.jsonl"
    result = runner.invoke(app, ["parse", "-", "--out", str(out)], input=notification)
    assert result.exit_code == 0, result.stderr
    (line,) = out.read_text(encoding="utf-8").splitlines()
    assert isinstance(parse_amazon_event(line), OrderContextUpdated)
    assert result.stdout == ""


def test_a_parser_crash_fails_that_input_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from services.ingest.parse.captured import parse_captured as real

    def crashing(data: bytes, *, name: str, options: ParseOptions) -> CapturedResult:
        if name == "boom.json":
            raise KeyError("parser bug")
        return real(data, name=name, options=options)

    monkeypatch.setattr("services.ingest.cli.parse_captured", crashing)
    notification = (FIXTURES / "notifications" / "order_change.json").read_text(encoding="utf-8")
    code, lines, stderr = _run(
        _write(tmp_path, "boom.json", notification), _write(tmp_path, "ok.json", notification)
    )
    assert code == 1
    assert len(lines) == 1
    assert "boom.json: error: parser failed: KeyError" in stderr
    assert "Traceback" not in stderr
