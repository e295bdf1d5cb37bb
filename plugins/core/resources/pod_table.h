#pragma once

#include <apiserver/object.h>
#include <apiserver/strategy.h>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <vector>

/// @file pod_table.h
/// The pods Table (kube's printPod): NAME READY STATUS RESTARTS AGE, and with -o wide IP NODE
/// NOMINATED NODE READINESS GATES.

namespace apiserver::plugins::core {

/// podTableColumns are kube's pod column definitions.
std::vector<TableColumn> podTableColumns();

/// podTableRow renders one pod as kube's printPod does with Wide output (the server always
/// includes the priority-1 cells).
std::vector<boost::json::value> podTableRow(const boost::json::object& pod, TimePoint now);

}  // namespace apiserver::plugins::core
