#pragma once

#include <apiserver/status.h>

#include <boost/json/object.hpp>

/// @file pod_validation.h
/// Pod validation as kube's ValidatePodCreate / ValidatePodUpdate / ValidatePodStatusUpdate do
/// it, for the fields this server knows. Field paths start below the object.

namespace apiserver::plugins::core {

/// validatePod checks a new (defaulted) pod: containers required, each with a DNS-1123 label
/// name unique across containers and initContainers and an image; ports, pull policies,
/// resources, volume mounts; restartPolicy, dnsPolicy, activeDeadlineSeconds, nodeName,
/// volumes, tolerations and host-network ports.
FieldErrors validatePod(const boost::json::object& pod);

/// validatePodUpdate checks `pod` and that its spec differs from `old`'s only where kube allows
/// (container and init container images, activeDeadlineSeconds within limits, added
/// tolerations, terminationGracePeriodSeconds from negative to 1).
FieldErrors validatePodUpdate(const boost::json::object& pod, const boost::json::object& old);

/// validatePodStatusUpdate checks the status a status update writes (pod IPs and the phase).
FieldErrors validatePodStatusUpdate(const boost::json::object& pod, const boost::json::object& old);

}  // namespace apiserver::plugins::core
