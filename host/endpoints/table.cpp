#include "endpoints/table.h"

#include <apiserver/object.h>

namespace apiserver::endpoints {

namespace json = boost::json;

namespace {

constexpr const char* kNameDescription =
    "Name must be unique within a namespace. Is required when creating resources, although some resources may "
    "allow a client to request the generation of an appropriate name automatically. Name is primarily intended "
    "for creation idempotence and configuration definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
constexpr const char* kCreatedDescription =
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
    "guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It "
    "is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More "
    "info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

json::object column(const TableColumn& c) {
  return json::object{{"name", c.name},
                      {"type", c.type.empty() ? "string" : c.type},
                      {"format", c.format},
                      {"description", c.description},
                      {"priority", c.priority}};
}

}  // namespace

TableRenderer::TableRenderer(const Strategy& strategy) : strategy_(strategy) {
  auto cols = strategy_.tableColumns();
  if (cols.empty()) {
    defaultColumns_ = true;
    cols = {TableColumn{"Name", "string", "name", kNameDescription, 0},
            TableColumn{"Created At", "date", "", kCreatedDescription, 0}};
  }
  for (const auto& c : cols) columns_.push_back(column(c));
}

json::array TableRenderer::row(const json::object& obj, TimePoint now) const {
  json::array cells;
  if (defaultColumns_) {
    cells.emplace_back(nameOf(obj));
    cells.emplace_back(creationTimestampOf(obj));
    return cells;
  }
  for (auto& v : strategy_.tableRow(obj, now)) cells.push_back(std::move(v));
  // A row must have one cell per column; pad rather than send kubectl a malformed table.
  while (cells.size() < columns_.size()) cells.emplace_back("");
  return cells;
}

json::object TableRenderer::table(const std::vector<json::object>& objects, const ListMeta& meta, IncludeObject include,
                                  TimePoint now, bool withColumns) const {
  json::object t;
  t["kind"] = "Table";
  t["apiVersion"] = "meta.k8s.io/v1";
  json::object m;
  if (!meta.resourceVersion.empty()) m["resourceVersion"] = meta.resourceVersion;
  if (!meta.continueToken.empty()) m["continue"] = meta.continueToken;
  if (meta.remainingItemCount) m["remainingItemCount"] = *meta.remainingItemCount;
  t["metadata"] = std::move(m);
  if (withColumns) t["columnDefinitions"] = columns_;
  json::array rows;
  rows.reserve(objects.size());
  for (const auto& obj : objects) {
    json::object r;
    r["cells"] = row(obj, now);
    if (include == IncludeObject::Object) {
      r["object"] = obj;
    } else if (include == IncludeObject::Metadata) {
      json::object pm;
      pm["kind"] = "PartialObjectMetadata";
      pm["apiVersion"] = "meta.k8s.io/v1";
      json::object md;
      if (const auto* src = objectField(obj, "metadata")) md = *src;
      md.stable_erase("managedFields");
      pm["metadata"] = std::move(md);
      r["object"] = std::move(pm);
    }
    rows.push_back(std::move(r));
  }
  t["rows"] = std::move(rows);
  return t;
}

}  // namespace apiserver::endpoints
