#pragma once

#include "schema/schema.h"

#include <boost/json/parse.hpp>

/// @file pod_schema_fixture.h
/// A hand-made subset of core/v1's OpenAPI v3 components.schemas (the Pod, its spec and the
/// types under it) carrying the real patch merge keys, patch strategies and list/map types, in
/// the shape kube publishes: fields reference types through `allOf: [{$ref}]`.

namespace apiserver::schema::testing {

inline constexpr const char* kPodDefinitions = R"json({
  "io.k8s.api.core.v1.Pod": {
    "description": "Pod is a collection of containers that can run on a host.",
    "type": "object",
    "properties": {
      "apiVersion": {"description": "APIVersion defines the versioned schema of this representation of an object.", "type": "string"},
      "kind": {"description": "Kind is a string value representing the REST resource this object represents.", "type": "string"},
      "metadata": {"allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}], "default": {}, "description": "Standard object's metadata."},
      "spec": {"allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.PodSpec"}], "default": {}, "description": "Specification of the desired behavior of the pod."},
      "status": {"allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.PodStatus"}], "default": {}, "description": "Most recently observed status of the pod."}
    },
    "x-kubernetes-group-version-kind": [{"group": "", "kind": "Pod", "version": "v1"}]
  },
  "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": {
    "description": "ObjectMeta is metadata that all persisted resources must have.",
    "type": "object",
    "properties": {
      "name": {"description": "Name must be unique within a namespace.", "type": "string"},
      "namespace": {"description": "Namespace defines the space within which each name must be unique.", "type": "string"},
      "uid": {"type": "string"},
      "resourceVersion": {"type": "string"},
      "generation": {"type": "integer", "format": "int64"},
      "labels": {"type": "object", "additionalProperties": {"type": "string", "default": ""}, "description": "Map of string keys and values."},
      "annotations": {"type": "object", "additionalProperties": {"type": "string", "default": ""}},
      "finalizers": {"type": "array", "items": {"type": "string", "default": ""}, "x-kubernetes-list-type": "set", "x-kubernetes-patch-strategy": "merge"},
      "ownerReferences": {
        "type": "array",
        "items": {"default": {}, "allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference"}]},
        "x-kubernetes-list-map-keys": ["uid"], "x-kubernetes-list-type": "map",
        "x-kubernetes-patch-merge-key": "uid", "x-kubernetes-patch-strategy": "merge"
      },
      "managedFields": {"type": "array", "items": {"default": {}, "allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry"}]}, "x-kubernetes-list-type": "atomic"}
    }
  },
  "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference": {
    "type": "object",
    "required": ["apiVersion", "kind", "name", "uid"],
    "properties": {
      "apiVersion": {"type": "string", "default": ""},
      "kind": {"type": "string", "default": ""},
      "name": {"type": "string", "default": ""},
      "uid": {"type": "string", "default": ""},
      "controller": {"type": "boolean"}
    },
    "x-kubernetes-map-type": "atomic"
  },
  "io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry": {
    "type": "object",
    "properties": {"manager": {"type": "string"}, "operation": {"type": "string"}}
  },
  "io.k8s.api.core.v1.PodSpec": {
    "description": "PodSpec is a description of a pod.",
    "type": "object",
    "required": ["containers"],
    "properties": {
      "containers": {
        "description": "List of containers belonging to the pod.",
        "type": "array",
        "items": {"default": {}, "allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.Container"}]},
        "x-kubernetes-list-map-keys": ["name"], "x-kubernetes-list-type": "map",
        "x-kubernetes-patch-merge-key": "name", "x-kubernetes-patch-strategy": "merge"
      },
      "initContainers": {
        "type": "array",
        "items": {"default": {}, "allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.Container"}]},
        "x-kubernetes-list-map-keys": ["name"], "x-kubernetes-list-type": "map",
        "x-kubernetes-patch-merge-key": "name", "x-kubernetes-patch-strategy": "merge"
      },
      "volumes": {
        "type": "array",
        "items": {"default": {}, "allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.Volume"}]},
        "x-kubernetes-list-map-keys": ["name"], "x-kubernetes-list-type": "map",
        "x-kubernetes-patch-merge-key": "name", "x-kubernetes-patch-strategy": "merge,retainKeys"
      },
      "tolerations": {
        "type": "array",
        "items": {"default": {}, "allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.Toleration"}]},
        "x-kubernetes-list-type": "atomic"
      },
      "imagePullSecrets": {
        "type": "array",
        "items": {"default": {}, "allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.LocalObjectReference"}]},
        "x-kubernetes-list-map-keys": ["name"], "x-kubernetes-list-type": "map",
        "x-kubernetes-patch-merge-key": "name", "x-kubernetes-patch-strategy": "merge"
      },
      "nodeSelector": {"type": "object", "additionalProperties": {"type": "string", "default": ""}, "x-kubernetes-map-type": "atomic"},
      "nodeName": {"type": "string"},
      "restartPolicy": {"type": "string", "enum": ["Always", "Never", "OnFailure"]},
      "terminationGracePeriodSeconds": {"type": "integer", "format": "int64"}
    }
  },
  "io.k8s.api.core.v1.Container": {
    "description": "A single application container that you want to run within a pod.",
    "type": "object",
    "required": ["name"],
    "properties": {
      "name": {"description": "Name of the container specified as a DNS_LABEL.", "type": "string", "default": ""},
      "image": {"type": "string"},
      "imagePullPolicy": {"type": "string"},
      "command": {"type": "array", "items": {"type": "string", "default": ""}, "x-kubernetes-list-type": "atomic"},
      "args": {"type": "array", "items": {"type": "string", "default": ""}, "x-kubernetes-list-type": "atomic"},
      "ports": {
        "type": "array",
        "items": {"default": {}, "allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.ContainerPort"}]},
        "x-kubernetes-list-map-keys": ["containerPort", "protocol"], "x-kubernetes-list-type": "map",
        "x-kubernetes-patch-merge-key": "containerPort", "x-kubernetes-patch-strategy": "merge"
      },
      "env": {
        "type": "array",
        "items": {"default": {}, "allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.EnvVar"}]},
        "x-kubernetes-list-map-keys": ["name"], "x-kubernetes-list-type": "map",
        "x-kubernetes-patch-merge-key": "name", "x-kubernetes-patch-strategy": "merge"
      },
      "volumeMounts": {
        "type": "array",
        "items": {"default": {}, "allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.VolumeMount"}]},
        "x-kubernetes-list-map-keys": ["mountPath"], "x-kubernetes-list-type": "map",
        "x-kubernetes-patch-merge-key": "mountPath", "x-kubernetes-patch-strategy": "merge"
      },
      "resources": {"allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.ResourceRequirements"}], "default": {}},
      "livenessProbe": {"allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.Probe"}]}
    }
  },
  "io.k8s.api.core.v1.ContainerPort": {
    "type": "object",
    "required": ["containerPort"],
    "properties": {
      "containerPort": {"type": "integer", "format": "int32", "default": 0},
      "protocol": {"type": "string", "default": "TCP"},
      "name": {"type": "string"},
      "hostPort": {"type": "integer", "format": "int32"}
    }
  },
  "io.k8s.api.core.v1.EnvVar": {
    "type": "object",
    "required": ["name"],
    "properties": {
      "name": {"type": "string", "default": ""},
      "value": {"type": "string"},
      "valueFrom": {"allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.EnvVarSource"}]}
    }
  },
  "io.k8s.api.core.v1.EnvVarSource": {
    "type": "object",
    "properties": {
      "fieldRef": {"type": "object", "properties": {"fieldPath": {"type": "string"}}, "x-kubernetes-map-type": "atomic"}
    }
  },
  "io.k8s.api.core.v1.VolumeMount": {
    "type": "object",
    "required": ["name", "mountPath"],
    "properties": {
      "name": {"type": "string", "default": ""},
      "mountPath": {"type": "string", "default": ""},
      "readOnly": {"type": "boolean"}
    }
  },
  "io.k8s.api.core.v1.Volume": {
    "type": "object",
    "required": ["name"],
    "properties": {
      "name": {"type": "string", "default": ""},
      "configMap": {"allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.ConfigMapVolumeSource"}]},
      "emptyDir": {"allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.EmptyDirVolumeSource"}]},
      "hostPath": {"allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.HostPathVolumeSource"}]},
      "secret": {"allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.SecretVolumeSource"}]}
    }
  },
  "io.k8s.api.core.v1.ConfigMapVolumeSource": {
    "type": "object",
    "properties": {"name": {"type": "string", "default": ""}, "defaultMode": {"type": "integer", "format": "int32"}}
  },
  "io.k8s.api.core.v1.EmptyDirVolumeSource": {
    "type": "object",
    "properties": {"medium": {"type": "string"}, "sizeLimit": {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity"}}
  },
  "io.k8s.api.core.v1.HostPathVolumeSource": {
    "type": "object",
    "required": ["path"],
    "properties": {"path": {"type": "string", "default": ""}, "type": {"type": "string"}}
  },
  "io.k8s.api.core.v1.SecretVolumeSource": {
    "type": "object",
    "properties": {"secretName": {"type": "string"}, "defaultMode": {"type": "integer", "format": "int32"}}
  },
  "io.k8s.api.core.v1.Toleration": {
    "type": "object",
    "properties": {
      "key": {"type": "string"}, "operator": {"type": "string"}, "value": {"type": "string"},
      "effect": {"type": "string"}, "tolerationSeconds": {"type": "integer", "format": "int64"}
    }
  },
  "io.k8s.api.core.v1.LocalObjectReference": {
    "type": "object",
    "properties": {"name": {"type": "string", "default": ""}},
    "x-kubernetes-map-type": "atomic"
  },
  "io.k8s.api.core.v1.ResourceRequirements": {
    "type": "object",
    "properties": {
      "limits": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity"}},
      "requests": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity"}}
    }
  },
  "io.k8s.apimachinery.pkg.api.resource.Quantity": {
    "description": "Quantity is a fixed-point representation of a number.",
    "type": "string"
  },
  "io.k8s.api.core.v1.Probe": {
    "type": "object",
    "properties": {
      "httpGet": {"allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.HTTPGetAction"}]},
      "periodSeconds": {"type": "integer", "format": "int32"}
    }
  },
  "io.k8s.api.core.v1.HTTPGetAction": {
    "type": "object",
    "required": ["port"],
    "properties": {
      "path": {"type": "string"},
      "port": {"allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString"}], "description": "Name or number of the port to access on the container."}
    }
  },
  "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {
    "description": "IntOrString is a type that can hold an int32 or a string.",
    "format": "int-or-string",
    "x-kubernetes-int-or-string": true,
    "anyOf": [{"type": "integer"}, {"type": "string"}]
  },
  "io.k8s.api.core.v1.PodStatus": {
    "type": "object",
    "properties": {
      "phase": {"type": "string"},
      "podIP": {"type": "string"},
      "conditions": {
        "type": "array",
        "items": {"default": {}, "allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.PodCondition"}]},
        "x-kubernetes-list-map-keys": ["type"], "x-kubernetes-list-type": "map",
        "x-kubernetes-patch-merge-key": "type", "x-kubernetes-patch-strategy": "merge"
      }
    }
  },
  "io.k8s.api.core.v1.PodCondition": {
    "type": "object",
    "required": ["type", "status"],
    "properties": {"type": {"type": "string", "default": ""}, "status": {"type": "string", "default": ""}}
  }
})json";

/// podDefinitions parses kPodDefinitions.
inline boost::json::object podDefinitions() {
  return boost::json::parse(kPodDefinitions).as_object();
}

/// podSchemaSet is a SchemaSet rooted at io.k8s.api.core.v1.Pod.
inline SchemaSet podSchemaSet() {
  boost::json::object defs = podDefinitions();
  boost::json::object root = defs["io.k8s.api.core.v1.Pod"].as_object();
  return SchemaSet(std::move(root), std::move(defs));
}

}  // namespace apiserver::schema::testing
