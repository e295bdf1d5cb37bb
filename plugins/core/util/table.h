#pragma once

#include <apiserver/object.h>
#include <apiserver/strategy.h>

#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <vector>

/// @file table.h
/// Column definitions and cell helpers shared by the core resources' Table output, as kube's
/// pkg/printers/internalversion/printers.go builds them.

namespace apiserver::plugins::core {

/// kNameDescription is ObjectMeta's swagger doc for `name`, the Name column's description.
extern const char* const kNameDescription;
/// kCreationTimestampDescription is ObjectMeta's swagger doc for `creationTimestamp`.
extern const char* const kCreationTimestampDescription;

/// nameColumn is the "Name" column (format "name").
TableColumn nameColumn(int priority = 0);
/// ageColumn is the "Age" column.
TableColumn ageColumn();
/// column is a column of `type` ("string", "integer", ...).
TableColumn column(std::string name, std::string description, int priority = 0,
                   std::string type = "string");

/// formatLabels renders a map as kube's labels.FormatLabels does: "k=v" pairs sorted by key,
/// joined with ","; "<none>" when empty or not a map.
std::string formatLabels(const json::object* labels);

/// orNone returns s, or "<none>" when s is empty.
std::string orNone(std::string_view s);

}  // namespace apiserver::plugins::core
