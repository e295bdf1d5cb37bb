#pragma once

#include "endpoints/negotiation.h"

#include <apiserver/strategy.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <vector>

/// @file table.h
/// meta.k8s.io/v1 Table output: the server-side printing kubectl relies on for `get`.

namespace apiserver::endpoints {

/// ListMeta is the list metadata a Table carries.
struct ListMeta {
  std::string resourceVersion;
  std::string continueToken;
  std::optional<std::int64_t> remainingItemCount;
};

/// TableRenderer renders objects of one resource as Tables, with the columns of its Strategy
/// (or kube's default Name / Created At). Thread-safe.
class TableRenderer {
 public:
  explicit TableRenderer(const Strategy& strategy);

  /// table renders `objects`; `withColumns` false leaves out columnDefinitions (watch events
  /// after the first).
  boost::json::object table(const std::vector<boost::json::object>& objects, const ListMeta& meta,
                            IncludeObject include, TimePoint now, bool withColumns = true) const;

 private:
  boost::json::array row(const boost::json::object& obj, TimePoint now) const;

  const Strategy& strategy_;
  boost::json::array columns_;
  bool defaultColumns_ = false;
};

}  // namespace apiserver::endpoints
