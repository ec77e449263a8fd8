"""Hardening, probes, resources, spreading and shutdown of every rendered workload."""

from __future__ import annotations

import ipaddress

import pytest

from tests.deploy.support import (
    WORKLOAD_COMPONENTS,
    Obj,
    containers,
    deployment,
    find,
    label,
    pod_templates,
)

_PRIVATE = [
    ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16")
]


def test_every_pod_runs_hardened(objs: list[Obj]) -> None:
    templates = list(pod_templates(objs))
    assert {name.split("/")[0] for name, _ in templates} == {"Deployment", "Job"}
    for name, template in templates:
        spec = template["spec"]
        pod_ctx = spec["securityContext"]
        assert pod_ctx["runAsNonRoot"] is True, name
        assert pod_ctx["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec["automountServiceAccountToken"] is False, name
        for key in ("hostNetwork", "hostPID", "hostIPC"):
            assert not spec.get(key, False), name
        tmp_volumes = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
        for container in containers(spec):
            where = f"{name}/{container['name']}"
            ctx = container["securityContext"]
            assert ctx["runAsNonRoot"] is True, where
            assert ctx["runAsUser"] >= 10000, where
            assert ctx["readOnlyRootFilesystem"] is True, where
            assert ctx["allowPrivilegeEscalation"] is False, where
            assert ctx["capabilities"]["drop"] == ["ALL"], where
            assert "add" not in ctx["capabilities"], where
            assert ctx.get("privileged", False) is False, where
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert mounts.get("/tmp") in tmp_volumes, f"{where}: /tmp must be a writable emptyDir"


def test_every_container_has_requests_and_limits(objs: list[Obj]) -> None:
    for name, template in pod_templates(objs):
        for container in containers(template["spec"]):
            resources = container["resources"]
            for kind in ("requests", "limits"):
                assert set(resources[kind]) >= {"cpu", "memory"}, f"{name}/{container['name']} {kind}"


def test_images_are_pinned_release_tags(objs: list[Obj]) -> None:
    images = {c["image"] for _, t in pod_templates(objs) for c in containers(t["spec"])}
    assert len(images) == 1, f"one image for every service, found {images}"
    (image,) = images
    repository, _, tag = image.rpartition(":")
    assert "/" in repository, "the overlay must point at a registry"
    assert tag not in {"", "latest"}
    assert "/" not in tag


@pytest.mark.parametrize("component", WORKLOAD_COMPONENTS)
def test_probes_use_health_endpoints_on_the_served_port(objs: list[Obj], component: str) -> None:
    (container,) = deployment(objs, component)["spec"]["template"]["spec"]["containers"]
    port_names = {p["name"] for p in container["ports"]}
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["port"] in port_names, probe


@pytest.mark.parametrize("component", WORKLOAD_COMPONENTS)
def test_pods_spread_across_zones(objs: list[Obj], overlay: str, component: str) -> None:
    template = deployment(objs, component)["spec"]["template"]
    by_key = {c["topologyKey"]: c for c in template["spec"]["topologySpreadConstraints"]}
    zone = by_key["topology.kubernetes.io/zone"]
    assert zone["labelSelector"]["matchLabels"].items() <= template["metadata"]["labels"].items()
    # Dev clusters often have one zone and unlabelled nodes; production makes the spread a hard rule.
    assert zone["whenUnsatisfiable"] == ("DoNotSchedule" if overlay == "prod" else "ScheduleAnyway")


def test_http_servers_drain_before_stopping(objs: list[Obj]) -> None:
    for component in ("api", "ingest"):
        spec = deployment(objs, component)["spec"]["template"]["spec"]
        (container,) = spec["containers"]
        command = container["lifecycle"]["preStop"]["exec"]["command"]
        assert command[0] == "sleep"
        # The grace period must outlast the preStop sleep plus the server's own shutdown.
        assert spec["terminationGracePeriodSeconds"] >= int(command[1]) + 30, component


def test_consumers_get_time_to_commit_and_leave_the_group(objs: list[Obj]) -> None:
    for component in ("classifier", "responder"):
        spec = deployment(objs, component)["spec"]["template"]["spec"]
        assert spec["terminationGracePeriodSeconds"] >= 45, component


def test_every_workload_has_a_disruption_budget(objs: list[Obj]) -> None:
    budgets = find(objs, "PodDisruptionBudget")
    for component in WORKLOAD_COMPONENTS:
        pod_labels = deployment(objs, component)["spec"]["template"]["metadata"]["labels"]
        matching = [b for b in budgets if b["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()]
        assert len(matching) == 1, component
        assert matching[0]["spec"]["maxUnavailable"] == 1


def test_no_plain_secrets_are_rendered(objs: list[Obj]) -> None:
    assert not find(objs, "Secret"), "secrets come from the ExternalSecret, never from git"
    for name, template in pod_templates(objs):
        for container in containers(template["spec"]):
            assert "env" not in container, f"{name}: configuration comes from the ConfigMap and secret files"


def test_default_deny_policy_covers_every_pod(objs: list[Obj]) -> None:
    deny = [
        p
        for p in find(objs, "NetworkPolicy")
        if p["spec"]["podSelector"] == {}
        and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    ]
    assert len(deny) == 1


def _policies_for(objs: list[Obj], pod_labels: dict[str, str], direction: str) -> list[Obj]:
    """Policies of one direction whose podSelector selects pods with these labels."""
    selected = []
    for policy in find(objs, "NetworkPolicy"):
        spec = policy["spec"]
        if direction not in spec["policyTypes"] or not spec.get(direction.lower()):
            continue
        selector = spec["podSelector"]
        if not selector.get("matchLabels", {}).items() <= pod_labels.items():
            continue
        if all(pod_labels.get(e["key"]) in e["values"] for e in selector.get("matchExpressions", [])):
            selected.append(policy)
    return selected


def test_api_is_reachable_only_from_the_internal_and_monitoring_namespaces(objs: list[Obj]) -> None:
    pod_labels = deployment(objs, "api")["spec"]["template"]["metadata"]["labels"]
    sources = set()
    for policy in _policies_for(objs, pod_labels, "Ingress"):
        for rule in policy["spec"]["ingress"]:
            assert rule.get("from"), f"{policy['metadata']['name']}: a rule without 'from' admits everyone"
            for peer in rule["from"]:
                assert set(peer) == {"namespaceSelector"}, policy["metadata"]["name"]
                sources.add(peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"])
    assert sources == {"internal", "monitoring"}


@pytest.mark.parametrize("component", [*WORKLOAD_COMPONENTS, "migrate"])
def test_egress_is_limited_to_dns_kafka_postgres_and_public_https(objs: list[Obj], component: str) -> None:
    if component == "migrate":
        (job,) = find(objs, "Job")
        pod_labels = job["spec"]["template"]["metadata"]["labels"]
    else:
        pod_labels = deployment(objs, component)["spec"]["template"]["metadata"]["labels"]
    ports: set[int] = set()
    for policy in _policies_for(objs, pod_labels, "Egress"):
        for rule in policy["spec"]["egress"]:
            assert rule.get("to"), f"{policy['metadata']['name']}: egress to anywhere"
            assert rule.get("ports"), f"{policy['metadata']['name']}: egress on any port"
            rule_ports = {p["port"] for p in rule["ports"]}
            ports |= rule_ports
            for peer in rule["to"]:
                block = peer.get("ipBlock")
                if block and ipaddress.ip_network(block["cidr"]).prefixlen == 0:
                    # The open range is only for HTTPS to public AWS/Amazon endpoints.
                    assert rule_ports == {443}
                    excluded = [ipaddress.IPv4Network(n) for n in block["except"]]
                    assert all(any(p.subnet_of(e) for e in excluded) for p in _PRIVATE)
    expected = {53, 5432} | ({9092} if component != "migrate" else set())
    if component in {"ingest", "responder"}:
        expected |= {443}
    assert ports == expected


def test_workloads_use_their_own_service_accounts(objs: list[Obj]) -> None:
    accounts = {sa["metadata"]["name"]: sa for sa in find(objs, "ServiceAccount")}
    for name, template in pod_templates(objs):
        account = accounts[template["spec"]["serviceAccountName"]]
        assert account["automountServiceAccountToken"] is False, name
        role = account["metadata"].get("annotations", {}).get("eks.amazonaws.com/role-arn")
        component = label(template, "app.kubernetes.io/component")
        # Only the workloads that call AWS get an IAM role (IRSA).
        assert (role is not None) == (component in {"ingest", "responder"}), name
        if role is not None:
            assert role.startswith("arn:aws:iam::"), name
            assert str(component) in role.rsplit("/", 1)[1], (
                f"{name}: role {role} is not the {component} role"
            )
