#!/usr/bin/env bash
# Apply an overlay in dependency order, waiting between phases:
#   1 topics    KafkaTopics (namespace "kafka"), wait until the Topic Operator reports them Ready
#   2 platform  namespace, service accounts, ConfigMap, ExternalSecret, NetworkPolicies; wait for the Secret
#   3 migrate   the Job complaints-migrate-<image tag> (alembic upgrade head); wait until Complete
#   4 services  Deployments, Services, PDBs, autoscalers, ServiceMonitor, PrometheusRule, Grafana dashboards;
#               wait for each rollout
# Every rendered object carries the label complaints.io/apply-phase, so each phase is a label selector.
# usage: deploy/apply.sh deploy/overlays/prod      (env: KUBECTL, TIMEOUT)
set -euo pipefail

overlay="${1:?usage: $0 <overlay directory>}"
kubectl="${KUBECTL:-kubectl}"
timeout="${TIMEOUT:-600s}"

rendered="$(mktemp)"
trap 'rm -f "${rendered}"' EXIT
"${kubectl}" kustomize "${overlay}" >"${rendered}"

apply_phase() {
    "${kubectl}" apply --filename "${rendered}" --selector "complaints.io/apply-phase=$1" --output name
}

echo "== topics"
apply_phase topics
"${kubectl}" wait --for=condition=Ready --timeout "${timeout}" \
    --filename "${rendered}" --selector complaints.io/apply-phase=topics

echo "== platform"
platform="$(apply_phase platform)"
printf '%s\n' "${platform}"
namespace="$(printf '%s\n' "${platform}" | sed -n 's|^namespace/||p')"
"${kubectl}" wait --for=condition=Ready --timeout "${timeout}" --namespace "${namespace}" \
    externalsecret/complaints-secrets

echo "== migrate"
job="$(apply_phase migrate)"
printf '%s\n' "${job}"
# A failed migration leaves the Job incomplete: this wait then fails and the services are not touched.
"${kubectl}" wait --for=condition=Complete --timeout "${timeout}" --namespace "${namespace}" "${job}"

echo "== services"
services="$(apply_phase services)"
printf '%s\n' "${services}"
for deployment in $(printf '%s\n' "${services}" | grep '^deployment'); do
    "${kubectl}" rollout status --timeout "${timeout}" --namespace "${namespace}" "${deployment}"
done
