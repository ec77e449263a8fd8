"""Fuzzing the account health parser: mutated and arbitrary documents give events or classified errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from services.ingest.parse.account_health import parse_account_health
from shared.demo.account_health import MarketplaceHealth, OdrCounts, account_health_report
from tests.ingest.parse.fuzz_support import EXAMPLES, FUZZ, bytes_mutant, check_event, json_mutant, run_parser
from tests.ingest.parse.support import RECEIVED_AT

_END = datetime(2026, 11, 30, tzinfo=UTC)
_SEEDS = [
    account_health_report(MarketplaceHealth("ATVPDKIKX0DER"), end=_END),
    account_health_report(
        MarketplaceHealth("ATVPDKIKX0DER", mfn=OdrCounts(orders=10, claims=1), warnings={"x": "BAD"}),
        MarketplaceHealth("A1PA6795UKMFR9", policy_violations=3),
        end=_END,
    ),
]


def _parse(data: bytes) -> None:
    events = run_parser(
        "account_health",
        lambda: parse_account_health(
            data, seller_id="SELLERFUZZ", received_at=RECEIVED_AT, correlation_id="fuzz"
        ),
    )
    for event in events or ():
        check_event(event)


# The seeds are large documents with many places to mutate: a quarter of the examples keeps this test near
# two seconds (FUZZ_EXAMPLES scales it for long runs).
@settings(FUZZ, max_examples=max(1, EXAMPLES // 4))
@given(doc=json_mutant([json.loads(seed) for seed in _SEEDS]))
def test_mutated_documents_give_events_or_classified_errors(doc: object) -> None:
    _parse(json.dumps(doc).encode())


@FUZZ
@given(data=st.one_of(bytes_mutant(_SEEDS), st.binary(max_size=2000)))
def test_mangled_bytes_give_events_or_classified_errors(data: bytes) -> None:
    _parse(data)
