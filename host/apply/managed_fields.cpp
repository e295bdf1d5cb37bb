#include "apply/managed_fields.h"

#include "golang/go_json.h"
#include "golang/go_text.h"

#include <apiserver/object.h>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <vector>

namespace apiserver::apply {

namespace {

std::string stringMember(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::int64_t unixSeconds(const std::string& time) {
  if (time.empty())
    return 0;
  auto t = parseTime(time);
  if (!t)
    return 0;
  return std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count();
}

}  // namespace

std::string buildManagerIdentifier(const ManagerIdentity& identity) {
  std::string out = "{";
  bool first = true;
  auto add = [&](std::string_view key, std::string_view value) {
    if (value.empty())
      return;
    if (!first)
      out.push_back(',');
    first = false;
    golang::appendGoString(out, key);
    out.push_back(':');
    golang::appendGoString(out, value);
  };
  add("manager", identity.manager);
  add("operation", identity.operation);
  add("apiVersion",
      identity.operation == kApplyOperation ? std::string_view() : identity.apiVersion);
  add("subresource", identity.subresource);
  out.push_back('}');
  return out;
}

std::optional<ManagerIdentity> parseManagerIdentifier(std::string_view identifier) {
  // Parsed for a few strings, on every write that records managed fields: into a buffer on the
  // stack (and the heap past it), freed at once.
  alignas(16) unsigned char scratch[1024];
  json::monotonic_resource mr(scratch, sizeof scratch);
  boost::system::error_code ec;
  json::value v = json::parse(identifier, ec, &mr);
  if (ec || !v.is_object())
    return std::nullopt;
  const json::object& o = v.get_object();
  return ManagerIdentity{stringMember(o, "manager"), stringMember(o, "operation"),
                         stringMember(o, "apiVersion"), stringMember(o, "subresource")};
}

std::string printManager(std::string_view identifier) {
  auto id = parseManagerIdentifier(identifier);
  if (!id)
    return golang::goQuote(identifier);
  std::string out = golang::goQuote(id->manager);
  if (!id->subresource.empty())
    out += " with subresource " + golang::goQuote(id->subresource);
  if (id->operation == kUpdateOperation)
    out += " using " + id->apiVersion;  // identifiers never carry a time
  return out;
}

std::optional<Managed> decodeManagedFields(const json::value* managedFields, std::string* error) {
  Managed out;
  if (managedFields == nullptr || managedFields->is_null())
    return out;
  const json::array* entries = managedFields->if_array();
  if (entries == nullptr) {
    *error = "managedFields must be a list";
    return std::nullopt;
  }
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const json::object* e = (*entries)[i].if_object();
    if (e == nullptr) {
      *error = "managed fields entry " + std::to_string(i) + " is not an object";
      return std::nullopt;
    }
    ManagerIdentity id{stringMember(*e, "manager"), stringMember(*e, "operation"),
                       stringMember(*e, "apiVersion"), stringMember(*e, "subresource")};
    if (id.operation != kApplyOperation && id.operation != kUpdateOperation) {
      *error = "operation must be `Apply` or `Update`";
      return std::nullopt;
    }
    if (id.apiVersion.empty()) {
      *error = "apiVersion must not be empty";
      return std::nullopt;
    }
    const std::string fieldsType = stringMember(*e, "fieldsType");
    if (fieldsType.empty()) {
      *error = "missing fieldsType in managed fields entry " + std::to_string(i);
      return std::nullopt;
    }
    if (fieldsType != "FieldsV1") {
      *error = "invalid fieldsType " + golang::goQuote(fieldsType) + " in managed fields entry " +
               std::to_string(i);
      return std::nullopt;
    }
    std::string setError;
    const json::value* raw = e->if_contains("fieldsV1");
    auto set =
        FieldSet::fromFieldsV1(raw != nullptr ? *raw : json::value(json::object()), &setError);
    if (!set) {
      *error = "error decoding versioned set: error decoding set: " + setError;
      return std::nullopt;
    }
    const std::string key = buildManagerIdentifier(id);
    out.fields[key] = VersionedSet{std::move(*set), id.apiVersion, id.operation == kApplyOperation};
    std::string time = stringMember(*e, "time");
    if (!time.empty()) {
      if (auto t = parseTime(time))
        time = formatTime(*t);  // kube keeps a metav1.Time: UTC, seconds
      out.times[key] = std::move(time);
    } else {
      out.times.erase(key);
    }
  }
  return out;
}

json::array encodeManagedFields(const Managed& managed, json::storage_ptr sp) {
  struct Entry {
    ManagerIdentity id;
    std::string time;
    const VersionedSet* set;
  };
  std::vector<Entry> entries;
  entries.reserve(managed.fields.size());
  for (const auto& [key, vs] : managed.fields) {
    ManagerIdentity id = parseManagerIdentifier(key).value_or(ManagerIdentity{});
    id.apiVersion = vs.apiVersion;
    if (vs.applied)
      id.operation = std::string(kApplyOperation);
    auto t = managed.times.find(key);
    entries.push_back(
        Entry{std::move(id), t != managed.times.end() ? t->second : std::string(), &vs});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& p, const Entry& q) {
    if (p.id.operation != q.id.operation)
      return p.id.operation < q.id.operation;
    const std::int64_t ps = unixSeconds(p.time);
    const std::int64_t qs = unixSeconds(q.time);
    if (ps != qs)
      return ps < qs;
    if (p.id.manager != q.id.manager)
      return p.id.manager < q.id.manager;
    if (p.id.apiVersion != q.id.apiVersion)
      return p.id.apiVersion < q.id.apiVersion;
    return p.id.subresource < q.id.subresource;
  });
  json::array out(sp);
  out.reserve(entries.size());
  for (const auto& e : entries)
    out.push_back(encodeManagedEntry(e.id, e.time, e.set->set.toFieldsV1(sp), sp));
  return out;
}

json::object encodeManagedEntry(const ManagerIdentity& id, std::string_view time,
                                json::object fieldsV1, json::storage_ptr sp) {
  json::object o(std::move(sp));
  o.reserve(7);
  if (!id.manager.empty())
    o.emplace("manager", id.manager);
  if (!id.operation.empty())
    o.emplace("operation", id.operation);
  if (!id.apiVersion.empty())
    o.emplace("apiVersion", id.apiVersion);
  if (!time.empty())
    o.emplace("time", time);
  o.emplace("fieldsType", "FieldsV1");
  o.emplace("fieldsV1", std::move(fieldsV1));
  if (!id.subresource.empty())
    o.emplace("subresource", id.subresource);
  return o;
}

bool isResetManagedFields(const json::value* managedFields) {
  if (managedFields == nullptr)
    return false;
  const json::array* a = managedFields->if_array();
  if (a == nullptr)
    return false;
  if (a->empty())
    return true;
  if (a->size() == 1) {
    const json::object* e = (*a)[0].if_object();
    return e != nullptr && e->empty();
  }
  return false;
}

}  // namespace apiserver::apply
