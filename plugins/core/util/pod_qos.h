#pragma once

#include <boost/json/object.hpp>

#include <string>

/// @file pod_qos.h
/// A pod's quality-of-service class, computed as kube's pkg/apis/core/helper/qos.GetPodQOS does.

namespace apiserver::plugins::core {

/// podQosClass returns "Guaranteed", "Burstable" or "BestEffort" for a (defaulted) pod: only cpu
/// and memory count; a pod is Guaranteed when every container has cpu and memory limits and the
/// summed requests equal the summed limits, BestEffort when nothing is requested or limited.
std::string podQosClass(const boost::json::object& pod);

}  // namespace apiserver::plugins::core
