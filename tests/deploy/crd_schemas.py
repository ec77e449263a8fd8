"""Minimal structural JSON schemas for the custom resources kubernetes-validate has no schema for.

Hand-written from the CRDs' documented fields (Strimzi 0.4x KafkaTopic v1beta2, KEDA 2.x ScaledObject,
Prometheus Operator ServiceMonitor and PrometheusRule v1, External Secrets Operator ExternalSecret v1). They cover the fields
these manifests use, their types and enums, and reject unknown fields where the CRD is closed, so a typo
such as ``partition:`` fails here instead of being pruned silently by the API server.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CRD_SCHEMAS"]

_NAME = {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", "maxLength": 253}
_DURATION = {"type": "string", "pattern": r"^([0-9]+(ms|s|m|h))+$"}


def _resource(api_version: str, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"const": api_version},
            "kind": {"const": kind},
            "metadata": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": _NAME,
                    "namespace": _NAME,
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
            "spec": spec,
        },
    }


_KAFKA_TOPIC = _resource(
    "kafka.strimzi.io/v1beta2",
    "KafkaTopic",
    {
        "type": "object",
        "required": ["partitions", "replicas"],
        "additionalProperties": False,
        "properties": {
            "topicName": {"type": "string", "pattern": r"^[a-zA-Z0-9._-]{1,249}$"},
            "partitions": {"type": "integer", "minimum": 1},
            "replicas": {"type": "integer", "minimum": 1, "maximum": 32767},
            "config": {
                "type": "object",
                "additionalProperties": {"type": ["string", "integer", "number", "boolean"]},
            },
        },
    },
)

_TRIGGER = {
    "type": "object",
    "required": ["type", "metadata"],
    "additionalProperties": False,
    "properties": {
        "type": {"type": "string"},
        "name": {"type": "string"},
        "metricType": {"enum": ["AverageValue", "Value", "Utilization"]},
        "useCachedMetrics": {"type": "boolean"},
        # KEDA's CRD types trigger metadata as map[string]string: numbers must be quoted.
        "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
        "authenticationRef": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string"}, "kind": {"type": "string"}},
        },
    },
}

_SCALED_OBJECT = _resource(
    "keda.sh/v1alpha1",
    "ScaledObject",
    {
        "type": "object",
        "required": ["scaleTargetRef", "triggers"],
        "additionalProperties": False,
        "properties": {
            "scaleTargetRef": {
                "type": "object",
                "required": ["name"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string"},
                    "apiVersion": {"type": "string"},
                    "kind": {"type": "string"},
                    "envSourceContainerName": {"type": "string"},
                },
            },
            "pollingInterval": {"type": "integer", "minimum": 1},
            "cooldownPeriod": {"type": "integer", "minimum": 0},
            "initialCooldownPeriod": {"type": "integer", "minimum": 0},
            "idleReplicaCount": {"type": "integer", "minimum": 0},
            "minReplicaCount": {"type": "integer", "minimum": 0},
            "maxReplicaCount": {"type": "integer", "minimum": 1},
            "fallback": {
                "type": "object",
                "required": ["failureThreshold", "replicas"],
                "properties": {
                    "failureThreshold": {"type": "integer", "minimum": 1},
                    "replicas": {"type": "integer", "minimum": 1},
                },
            },
            "advanced": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "restoreToOriginalReplicaCount": {"type": "boolean"},
                    "horizontalPodAutoscalerConfig": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {"name": {"type": "string"}, "behavior": {"type": "object"}},
                    },
                    "scalingModifiers": {"type": "object"},
                },
            },
            "triggers": {"type": "array", "minItems": 1, "items": _TRIGGER},
        },
    },
)

_SERVICE_MONITOR = _resource(
    "monitoring.coreos.com/v1",
    "ServiceMonitor",
    {
        "type": "object",
        "required": ["selector", "endpoints"],
        "properties": {
            "jobLabel": {"type": "string"},
            "selector": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"matchLabels": {"type": "object"}, "matchExpressions": {"type": "array"}},
            },
            "namespaceSelector": {"type": "object"},
            "endpoints": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "properties": {
                        "port": {"type": "string"},
                        "path": {"type": "string", "pattern": "^/"},
                        "scheme": {"enum": ["http", "https"]},
                        "interval": _DURATION,
                        "scrapeTimeout": _DURATION,
                    },
                },
            },
        },
    },
)

_EXTERNAL_SECRET = _resource(
    "external-secrets.io/v1",
    "ExternalSecret",
    {
        "type": "object",
        "required": ["secretStoreRef", "target"],
        "additionalProperties": False,
        "properties": {
            "refreshInterval": _DURATION,
            "secretStoreRef": {
                "type": "object",
                "required": ["name"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string"},
                    "kind": {"enum": ["SecretStore", "ClusterSecretStore"]},
                },
            },
            "target": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": _NAME,
                    "creationPolicy": {"enum": ["Owner", "Orphan", "Merge", "None"]},
                    "deletionPolicy": {"enum": ["Delete", "Merge", "Retain"]},
                    "template": {"type": "object"},
                },
            },
            "data": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["secretKey", "remoteRef"],
                    "additionalProperties": False,
                    "properties": {
                        "secretKey": {"type": "string", "pattern": r"^[-._a-zA-Z0-9]+$"},
                        "remoteRef": {
                            "type": "object",
                            "required": ["key"],
                            "properties": {
                                "key": {"type": "string"},
                                "property": {"type": "string"},
                                "version": {"type": "string"},
                            },
                        },
                    },
                },
            },
            "dataFrom": {"type": "array"},
        },
    },
)

_PROMETHEUS_RULE = _resource(
    "monitoring.coreos.com/v1",
    "PrometheusRule",
    {
        "type": "object",
        "required": ["groups"],
        "additionalProperties": False,
        "properties": {
            "groups": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["name", "rules"],
                    "additionalProperties": False,
                    "properties": {
                        "name": {"type": "string", "minLength": 1},
                        "interval": _DURATION,
                        "rules": {
                            "type": "array",
                            "minItems": 1,
                            "items": {
                                "type": "object",
                                "required": ["expr"],
                                "additionalProperties": False,
                                "properties": {
                                    "alert": {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"},
                                    "record": {"type": "string"},
                                    "expr": {"type": ["string", "integer"]},
                                    "for": _DURATION,
                                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                                    "annotations": {
                                        "type": "object",
                                        "additionalProperties": {"type": "string"},
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
)

CRD_SCHEMAS: dict[str, dict[str, Any]] = {
    "PrometheusRule": _PROMETHEUS_RULE,
    "KafkaTopic": _KAFKA_TOPIC,
    "ScaledObject": _SCALED_OBJECT,
    "ServiceMonitor": _SERVICE_MONITOR,
    "ExternalSecret": _EXTERNAL_SECRET,
}
"""Kind -> JSON schema (draft 2020-12) of the whole object."""
