#pragma once
// A request target (origin form: path and query) split into the decoded path and parameters.
#include <apiserver/request.h>

#include <string>
#include <string_view>

namespace apiserver::server {

/// parseTarget sets `path` to the decoded path of `target` and appends its decoded query
/// parameters to `query`, as Boost.URL's parse_origin_form and params() give them; false for a
/// target that is not in origin form. A target of plain characters (nothing to decode: no '%',
/// no '+') is split in one scan; any other goes through Boost.URL.
bool parseTarget(std::string_view target, std::string& path, QueryParams& query);

}  // namespace apiserver::server
