"""deploy/observability: the alert rules pass promtool (and fire when they should), and every metric a
dashboard or rule names is one the code exports (read from the real prometheus_client registry)."""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY

from tests.deploy.support import DEPLOY, REPO_ROOT, Obj, find
from tests.reference import in_ci

OBSERVABILITY = DEPLOY / "observability"
DASHBOARDS = sorted((OBSERVABILITY / "dashboards").glob("*.json"))

# PromQL words that are not metric names: functions, aggregations, keywords.
_PROMQL_WORDS = frozenset(
    {
        "sum", "min", "max", "avg", "count", "topk", "bottomk", "quantile", "stddev", "group",
        "rate", "irate", "increase", "delta", "deriv", "changes", "resets", "histogram_quantile",
        "time", "absent", "absent_over_time", "vector", "scalar", "clamp_min", "clamp_max",
        "max_over_time", "min_over_time", "avg_over_time", "sort", "sort_desc", "label_replace",
        "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset",
    }
)  # fmt: skip
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_VARIABLES = re.compile(r"\$\w+")
_IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects."""
    for pattern in (_STRINGS, _MATCHERS, _RANGES, _GROUPING, _VARIABLES):
        expr = pattern.sub(" ", expr)
    return {word for word in _IDENT.findall(expr) if word not in _PROMQL_WORDS}


def _exported() -> set[str]:
    """Every sample name the code's metrics expose (modules that use prometheus_client are imported first)."""
    for root in ("services", "shared"):
        for path in sorted((REPO_ROOT / root).rglob("*.py")):
            if "prometheus_client" in path.read_text(encoding="utf-8"):
                module = ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts)
                importlib.import_module(module)
    suffixes = {
        "counter": ("_total", "_created"),
        "gauge": ("",),
        "histogram": ("_bucket", "_count", "_sum", "_created"),
        "summary": ("", "_count", "_sum", "_created"),
        "info": ("_info",),
    }
    names: set[str] = set()
    for family in REGISTRY.collect():
        names.update(family.name + suffix for suffix in suffixes.get(family.type, ("",)))
        names.update(sample.name for sample in family.samples)
    return names


def _rule_groups() -> list[dict[str, Any]]:
    rule = yaml.safe_load((OBSERVABILITY / "prometheusrule.yaml").read_text())
    assert rule["kind"] == "PrometheusRule"
    groups: list[dict[str, Any]] = rule["spec"]["groups"]
    return groups


def _dashboard_exprs() -> dict[str, list[str]]:
    exprs: dict[str, list[str]] = {}
    for path in DASHBOARDS:
        board = json.loads(path.read_text())
        exprs[path.name] = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    return exprs


def test_the_extractor_finds_metric_names_not_promql_words() -> None:
    expr = (
        'sum by (operation) (rate(spapi_calls_total{status="429"}[$__rate_interval])) / '
        "histogram_quantile(0.95, sum by (le) (rate(outbox_send_seconds_bucket[5m]))) or time() - max(x_y)"
    )
    assert metric_names(expr) == {"spapi_calls_total", "outbox_send_seconds_bucket", "x_y"}


def test_every_metric_a_dashboard_or_rule_names_is_exported() -> None:
    exported = _exported()
    used: dict[str, set[str]] = {}
    for name, exprs in _dashboard_exprs().items():
        for expr in exprs:
            for metric in metric_names(expr):
                used.setdefault(metric, set()).add(name)
    for group in _rule_groups():
        for rule in group["rules"]:
            for metric in metric_names(str(rule["expr"])):
                used.setdefault(metric, set()).add(f"rule {rule.get('alert', rule.get('record'))}")
    assert len(used) >= 20
    assert {metric: where for metric, where in used.items() if metric not in exported} == {}


def test_the_issue_s_alerts_and_dashboards_are_there() -> None:
    alerts = {rule["alert"]: rule for group in _rule_groups() for rule in group["rules"]}
    assert {
        "ComplaintsSlaBreachImminent",
        "ComplaintsOutboxSendUnknown",
        "ComplaintsDeadLettersGrowing",
        "ComplaintsConsumerLagging",
        "ComplaintsSpApiThrottled",
        "ComplaintsRetentionNotRun",
    } <= set(alerts)
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in {"warning", "critical"}, name
        assert rule["annotations"]["summary"], name
        assert rule["annotations"]["description"], name
    assert {p.stem for p in DASHBOARDS} == {"pipeline", "sla", "outbound", "classifier"}
    uids = [json.loads(p.read_text())["uid"] for p in DASHBOARDS]
    assert len(set(uids)) == len(uids)
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text())["panels"]:
            assert panel["title"], (path.name, panel["id"])
            assert panel["description"], (path.name, panel["id"])
            assert panel["targets"], (path.name, panel["id"])


def test_overlays_ship_the_dashboards_and_the_rule(objs: list[Obj]) -> None:
    boards = {
        c["metadata"]["name"]: c
        for c in find(objs, "ConfigMap")
        if c["metadata"].get("labels", {}).get("grafana_dashboard") == "1"
    }
    assert len(boards) == len(DASHBOARDS)
    shipped = {json.loads(next(iter(c["data"].values())))["uid"] for c in boards.values()}
    assert shipped == {json.loads(p.read_text())["uid"] for p in DASHBOARDS}
    (rule,) = find(objs, "PrometheusRule")
    assert rule["spec"]["groups"] == _rule_groups()


def _promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        reason = "promtool is not installed (make promtool installs Debian's prometheus package)"
        if in_ci():
            pytest.fail(f"{reason}; CI must check the alert rules", pytrace=False)
        pytest.skip(reason)
    return path


def _write_rules(tmp_path: Path, *, annotations: bool = True) -> Path:
    groups = _rule_groups()
    if not annotations:  # promtool's alert tests compare annotations too; their templates are checked apart
        for group in groups:
            for rule in group["rules"]:
                rule.pop("annotations", None)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    return path


def test_promtool_checks_the_rules(tmp_path: Path) -> None:
    promtool = _promtool()
    result = subprocess.run(
        [promtool, "check", "rules", str(_write_rules(tmp_path))],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _alert(name: str, at: str, labels: list[dict[str, str]]) -> dict[str, Any]:
    return {"eval_time": at, "alertname": name, "exp_alerts": [{"exp_labels": lab} for lab in labels]}


def test_promtool_fires_the_alerts_when_they_should(tmp_path: Path) -> None:
    promtool = _promtool()
    rules = _write_rules(tmp_path, annotations=False)
    tests = {
        "rule_files": [rules.name],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": 'outbox_rows{state="unknown"}', "values": "0 0 1x20"},
                    {"series": 'tickets_sla{marketplace="ATVPDKIKX0DER",state="due_soon"}', "values": "3x30"},
                    {
                        "series": 'consumer_lag_seconds{group="classifier",topic="t",partition="0"}',
                        "values": "0 600x20",
                    },
                    {"series": "retention_last_success_timestamp_seconds", "values": "0x1600"},
                    {
                        "series": 'consumer_dead_lettered_total{group="responder",topic="t",reason="validation"}',
                        "values": "0 0 0 1x20",
                    },
                    {
                        "series": 'spapi_calls_total{operation="sendMessage",status="200"}',
                        "values": "0+10x30",
                    },
                    {
                        "series": 'spapi_calls_total{operation="sendMessage",status="429"}',
                        "values": "0+10x30",
                    },
                ],
                "alert_rule_test": [
                    _alert("ComplaintsOutboxSendUnknown", "1m", []),
                    _alert("ComplaintsOutboxSendUnknown", "5m", [{"severity": "critical"}]),
                    _alert(
                        "ComplaintsSlaBreachImminent",
                        "15m",
                        [{"severity": "warning", "marketplace": "ATVPDKIKX0DER"}],
                    ),
                    _alert(
                        "ComplaintsConsumerLagging",
                        "10m",
                        [{"severity": "warning", "group": "classifier", "topic": "t", "partition": "0"}],
                    ),
                    _alert(
                        "ComplaintsDeadLettersGrowing",
                        "12m",
                        [{"severity": "warning", "group": "responder", "topic": "t", "reason": "validation"}],
                    ),
                    _alert(
                        "ComplaintsSpApiThrottled",
                        "28m",
                        [{"severity": "warning", "operation": "sendMessage"}],
                    ),
                    # time() starts at 0 in promtool: a pass recorded "at 0" is 25 h old only later.
                    _alert("ComplaintsRetentionNotRun", "20m", []),
                    _alert("ComplaintsRetentionNotRun", "26h", [{"severity": "warning"}]),
                ],
            }
        ],
    }
    test_file = tmp_path / "rules_test.yaml"
    test_file.write_text(yaml.safe_dump(tests, sort_keys=False))
    result = subprocess.run(
        [promtool, "test", "rules", str(test_file)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
