"""The manifests agree with the code: topics, settings, secrets, ports, consumer groups, commands, phases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from complaints.settings import Settings
from shared.topics import ALL_TOPICS, dlq
from tests.deploy.contracts import consumer_subscriptions, settings_env_vars
from tests.deploy.support import (
    REPO_ROOT,
    WORKLOAD_COMPONENTS,
    Obj,
    deployment,
    find,
    label,
    pod_templates,
)

_HOUR_MS = 3_600_000
SERVICE_COMMANDS = {"ingest", "classifier", "responder", "api", "migrate"}
PORT_SETTINGS = {
    "ingest": ("ingest", "http_port"),
    "classifier": ("classifier", "http_port"),
    "responder": ("responder", "worker_port"),
    "api": ("responder", "api_port"),
}
PHASES = {
    "topics": {"KafkaTopic"},
    "platform": {"Namespace", "ServiceAccount", "ConfigMap", "ExternalSecret", "NetworkPolicy"},
    "migrate": {"Job"},
    "services": {
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "ScaledObject",
        "ServiceMonitor",
        "PrometheusRule",
        "ConfigMap",  # the Grafana dashboards (deploy/observability)
    },
}


def _config(objs: list[Obj]) -> dict[str, str]:
    (config_map,) = [
        c for c in find(objs, "ConfigMap") if c["metadata"]["name"].startswith("complaints-config")
    ]
    return {k: str(v) for k, v in config_map["data"].items()}


def test_every_topic_has_a_matching_kafka_topic(objs: list[Obj]) -> None:
    rendered = {
        t["spec"]["topicName"]: (t["spec"]["partitions"], t["spec"]["config"]["retention.ms"])
        for t in find(objs, "KafkaTopic")
    }
    expected = {t.name: (t.partitions, t.retention_hours * _HOUR_MS) for t in ALL_TOPICS}
    assert rendered == expected


def test_kafka_topics_are_replicated_for_the_overlay(objs: list[Obj], overlay: str) -> None:
    for topic in find(objs, "KafkaTopic"):
        spec = topic["spec"]
        assert spec["config"]["min.insync.replicas"] < spec["replicas"] or spec["replicas"] == 1
        assert spec["replicas"] == (3 if overlay == "prod" else 1)


def test_kafka_cluster_references_agree(objs: list[Obj]) -> None:
    """Topics, the broker address, KEDA and the egress policy all name the same Strimzi cluster."""
    clusters = {
        (label(t, "strimzi.io/cluster"), t["metadata"]["namespace"]) for t in find(objs, "KafkaTopic")
    }
    assert len(clusters) == 1
    ((cluster, namespace),) = clusters
    bootstrap = _config(objs)["KAFKA_BOOTSTRAP_SERVERS"]
    assert bootstrap.startswith(f"{cluster}-kafka-bootstrap.{namespace}.svc:")
    for scaled in find(objs, "ScaledObject"):
        kafka = [t for t in scaled["spec"]["triggers"] if t["type"] == "kafka"]
        assert {t["metadata"]["bootstrapServers"] for t in kafka} == {bootstrap}
    (policy,) = [p for p in find(objs, "NetworkPolicy") if p["metadata"]["name"] == "allow-kafka-egress"]
    (peer,) = policy["spec"]["egress"][0]["to"]
    assert peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] == namespace
    assert peer["podSelector"]["matchLabels"]["strimzi.io/cluster"] == cluster


@pytest.mark.parametrize("component", ["classifier", "responder"])
def test_keda_scales_each_consumer_on_its_real_group_and_topics(objs: list[Obj], component: str) -> None:
    (scaled,) = [
        s for s in find(objs, "ScaledObject") if s["spec"]["scaleTargetRef"]["name"].endswith(component)
    ]
    assert scaled["spec"]["scaleTargetRef"]["name"] == deployment(objs, component)["metadata"]["name"]
    triggers = [t["metadata"] for t in scaled["spec"]["triggers"] if t["type"] == "kafka"]
    (group,) = {t["consumerGroup"] for t in triggers}
    # KEDA reports zero lag for a group nobody uses, so a renamed group would silently stop scaling;
    # a subscribed topic without a trigger could pile up lag unseen.
    subscriptions = consumer_subscriptions(REPO_ROOT / "services" / component)
    assert group in subscriptions, f"services/{component} has no consumer with group_id={group!r}"
    assert sorted(t["topic"] for t in triggers) == sorted(subscriptions[group])
    # The consumer loop dead-letters to <topic>.dlq; Strimzi clusters do not auto-create topics.
    topic_names = {t["spec"]["topicName"] for t in find(objs, "KafkaTopic")}
    assert {dlq(t) for t in subscriptions[group]} <= topic_names
    partitions = min(t.partitions for t in ALL_TOPICS if t.name in subscriptions[group])
    # More consumers than partitions sit idle; zero would stop the responder's outbox sender too.
    assert 1 <= scaled["spec"]["minReplicaCount"] <= scaled["spec"]["maxReplicaCount"] <= partitions
    assert scaled["spec"]["fallback"]["replicas"] <= scaled["spec"]["maxReplicaCount"]


def test_each_workload_has_exactly_one_autoscaler(objs: list[Obj]) -> None:
    targets = [h["spec"]["scaleTargetRef"]["name"] for h in find(objs, "HorizontalPodAutoscaler")]
    targets += [s["spec"]["scaleTargetRef"]["name"] for s in find(objs, "ScaledObject")]
    deployments = sorted(d["metadata"]["name"] for d in find(objs, "Deployment"))
    # KEDA creates its own HPA, so a Deployment under both would have two controllers fighting.
    assert sorted(targets) == deployments
    for hpa in find(objs, "HorizontalPodAutoscaler"):
        assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    assert {h["spec"]["scaleTargetRef"]["name"] for h in find(objs, "HorizontalPodAutoscaler")} == {
        deployment(objs, c)["metadata"]["name"] for c in ("ingest", "api")
    }


@pytest.mark.parametrize("component", WORKLOAD_COMPONENTS)
def test_services_and_monitors_reach_the_named_port(objs: list[Obj], component: str) -> None:
    template = deployment(objs, component)["spec"]["template"]
    (container,) = template["spec"]["containers"]
    port_names = {p["name"] for p in container["ports"]}
    services = [
        s
        for s in find(objs, "Service")
        if s["spec"]["selector"].items() <= template["metadata"]["labels"].items()
    ]
    assert len(services) == 1
    (service,) = services
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= port_names
    (monitor,) = find(objs, "ServiceMonitor")
    selector = monitor["spec"]["selector"]
    service_labels = service["metadata"]["labels"]
    assert selector["matchLabels"].items() <= service_labels.items()
    for expression in selector["matchExpressions"]:
        assert service_labels.get(expression["key"]) in expression["values"]
    assert {e["port"] for e in monitor["spec"]["endpoints"]} <= {p["name"] for p in service["spec"]["ports"]}


@pytest.mark.parametrize("component", WORKLOAD_COMPONENTS)
def test_container_port_is_the_port_the_service_listens_on(objs: list[Obj], component: str) -> None:
    (container,) = deployment(objs, component)["spec"]["template"]["spec"]["containers"]
    section, field = PORT_SETTINGS[component]
    env = _config(objs)
    settings = getattr(Settings(), section)
    variable = f"{settings.model_config['env_prefix']}{field}".upper()
    expected = int(env.get(variable, getattr(settings, field)))
    assert [p["containerPort"] for p in container["ports"]] == [expected]


def test_references_resolve(objs: list[Obj]) -> None:
    config_maps = {c["metadata"]["name"] for c in find(objs, "ConfigMap")}
    accounts = {a["metadata"]["name"] for a in find(objs, "ServiceAccount")}
    (external,) = find(objs, "ExternalSecret")
    for name, template in pod_templates(objs):
        spec = template["spec"]
        assert spec["serviceAccountName"] in accounts, name
        for container in spec["containers"]:
            for source in container["envFrom"]:
                assert source["configMapRef"]["name"] in config_maps, name
        secret_volumes = [v["secret"]["secretName"] for v in spec["volumes"] if "secret" in v]
        assert secret_volumes == [external["spec"]["target"]["name"]], name


def test_configuration_uses_only_known_settings(objs: list[Obj]) -> None:
    known = settings_env_vars().keys() | {"SECRETS_DIR"}
    (external,) = find(objs, "ExternalSecret")
    secret_keys = {d["secretKey"] for d in external["spec"]["data"]}
    assert not (_config(objs).keys() - known), "ConfigMap keys that no setting reads"
    assert not (secret_keys - known), "secret files that no setting reads"


def test_rendered_config_and_secrets_start_a_production_process(objs: list[Obj], tmp_path: Path) -> None:
    """The ConfigMap plus one file per ExternalSecret key pass the production settings checks."""
    variables = settings_env_vars()
    (external,) = find(objs, "ExternalSecret")
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    secret_values: dict[str, str] = {}
    for item in external["spec"]["data"]:
        key = item["secretKey"]
        value = f"value-of-{key.lower()}"
        if variables[key].json_typed:
            value = json.dumps({"A1SELLER": value} if "TOKENS" in key else [value])
        (secrets_dir / key).write_text(value)
        secret_values[key] = value
    config = _config(objs)
    assert config["ENVIRONMENT"] == "production"
    env = {"PATH": os.environ.get("PATH", ""), **config, "SECRETS_DIR": str(secrets_dir)}
    script = (
        "import json; from pydantic import SecretStr; from complaints.settings import Settings\n"
        "def plain(v):\n"
        "    if isinstance(v, SecretStr): return v.get_secret_value()\n"
        "    if isinstance(v, dict): return {k: plain(x) for k, x in v.items()}\n"
        "    if isinstance(v, list): return [plain(x) for x in v]\n"
        "    return v\n"
        "s = Settings()\n"
        "from pydantic import BaseModel\n"
        "print(json.dumps({n: {f: plain(getattr(getattr(s, n), f)) for f in type(getattr(s, n)).model_fields}\n"
        "    for n in type(s).model_fields if isinstance(getattr(s, n), BaseModel)}, default=str))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    for key, value in {**config, **secret_values}.items():
        var = variables.get(key)
        if var is None or var.section is None:
            continue
        got = loaded[var.section][var.field]
        if var.json_typed:
            assert got == json.loads(value), key
        else:
            assert str(got).lower() == value.lower(), key


def test_every_container_runs_a_known_service_command(objs: list[Obj]) -> None:
    commands = {name: template["spec"]["containers"][0]["args"] for name, template in pod_templates(objs)}
    assert all(len(args) == 1 for args in commands.values()), commands
    assert {args[0] for args in commands.values()} == SERVICE_COMMANDS
    for component in WORKLOAD_COMPONENTS:
        assert deployment(objs, component)["spec"]["template"]["spec"]["containers"][0]["args"] == [component]


def test_migration_job_is_named_after_the_release(objs: list[Obj]) -> None:
    (job,) = find(objs, "Job")
    image = job["spec"]["template"]["spec"]["containers"][0]["image"]
    assert job["metadata"]["name"] == f"complaints-migrate-{image.rpartition(':')[2]}"
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_every_object_belongs_to_one_apply_phase(objs: list[Obj]) -> None:
    seen: dict[str, set[str]] = {}
    for obj in objs:
        phase = label(obj, "complaints.io/apply-phase")
        assert phase in PHASES, f"{obj['kind']}/{obj['metadata']['name']} has no apply phase"
        seen.setdefault(phase, set()).add(obj["kind"])
    assert seen == PHASES


def test_namespaced_objects_land_in_the_overlay_namespace(objs: list[Obj], overlay: str) -> None:
    (namespace,) = find(objs, "Namespace")
    assert namespace["metadata"]["name"] == f"complaints-{overlay}"
    assert label(namespace, "pod-security.kubernetes.io/enforce") == "restricted"
    for obj in objs:
        if obj["kind"] == "Namespace":
            continue
        expected = "kafka" if obj["kind"] == "KafkaTopic" else namespace["metadata"]["name"]
        assert obj["metadata"].get("namespace") == expected, f"{obj['kind']}/{obj['metadata']['name']}"
