#pragma once

#include <apiserver/schema.h>
#include <apiserver/strategy.h>

#include <boost/json/object.hpp>

#include <memory>

/// @file pods.h
/// The pods resource (kube's pkg/registry/core/pod, pkg/apis/core/v1 defaults and the pod parts
/// of pkg/apis/core/validation and pkg/printers/internalversion).

namespace apiserver::plugins::core {

/// podResourceSpec describes pods: namespaced, short name "po", category "all", a status
/// subresource; DELETE answers with the object.
ResourceSpec podResourceSpec();

/// podStrategy defaults, validates and prints pods. See pods.cpp, pod_validation.cpp and
/// pod_table.cpp for the rules.
std::shared_ptr<const Strategy> podStrategy();

/// defaultPod applies kube's v1 defaults to a pod (restartPolicy, dnsPolicy, schedulerName,
/// terminationGracePeriodSeconds, securityContext, enableServiceLinks, container pull policy,
/// termination message path/policy, port protocols, probe timings, requests from limits, volume
/// sources and modes). Idempotent; used on create and on update.
void defaultPod(boost::json::object& pod);

}  // namespace apiserver::plugins::core
