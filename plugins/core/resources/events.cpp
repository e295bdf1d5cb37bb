#include "core/resources/events.h"

#include "core/schema/schemas.h"
#include "core/util/json.h"
#include "core/util/table.h"
#include "core/util/validation.h"

#include <apiserver/object.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

namespace apiserver::plugins::core {

namespace {

constexpr std::size_t kReportingInstanceLengthLimit = 128;
constexpr std::size_t kActionLengthLimit = 128;
constexpr std::size_t kReasonLengthLimit = 128;
constexpr std::size_t kNoteLengthLimit = 1024;

std::string_view involved(const json::object& ev, std::string_view key) {
  return stringField(ev, "", "involvedObject", key);
}

/// sinceText renders the time since an RFC 3339 timestamp, "<unknown>" when unset.
std::string sinceText(std::string_view timestamp, TimePoint now) {
  auto t = parseTime(timestamp);
  if (!t)
    return "<unknown>";
  return humanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - *t));
}

std::string trimSpace(std::string_view s) {
  auto notSpace = [](unsigned char c) { return !std::isspace(c); };
  auto b = std::find_if(s.begin(), s.end(), notSpace);
  auto e = std::find_if(s.rbegin(), s.rend(), notSpace).base();
  return b < e ? std::string(b, e) : std::string();
}

std::string toLower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// eventSource is kube's formatEventSource: component (or reportingController) and host (or
/// reportingInstance), joined by ", " when there is a host.
std::string eventSource(const json::object& ev) {
  std::string_view component = stringField(ev, "", "source", "component");
  if (component.empty())
    component = stringField(ev, "", "reportingComponent");
  std::string_view host = stringField(ev, "", "source", "host");
  if (host.empty())
    host = stringField(ev, "", "reportingInstance");
  if (host.empty())
    return std::string(component);
  return std::string(component) + ", " + std::string(host);
}

/// sourceSelectorValue is the `source` field selector's value.
std::string sourceSelectorValue(const json::object& ev) {
  std::string_view component = stringField(ev, "", "source", "component");
  if (component.empty())
    component = stringField(ev, "", "reportingComponent");
  return std::string(component);
}

bool hasValue(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && !v->is_null() && !(v->is_string() && v->get_string().empty());
}

FieldErrors validateEvent(const json::object& ev) {
  FieldErrors errs;
  std::string_view ns = namespaceOf(ev);
  std::string_view involvedNs = involved(ev, "namespace");
  if (!isSet(ev, "involvedObject"))
    errs.push_back(requiredField("involvedObject"));
  auto mismatch = [&errs, involvedNs] {
    errs.push_back(invalidField("involvedObject.namespace", json::value(involvedNs),
                                "does not match event.namespace"));
  };
  if (!hasValue(ev, "eventTime")) {
    // Legacy events: the involved object lives in the event's namespace (or is cluster-scoped
    // and the event is in "default").
    if (involvedNs.empty()) {
      if (!ns.empty() && ns != "default")
        mismatch();
    } else if (ns != involvedNs) {
      mismatch();
    }
  } else {
    if (involvedNs.empty() && ns != "default" && ns != "kube-system")
      mismatch();
    std::string_view controller = stringField(ev, "", "reportingComponent");
    if (controller.empty()) {
      errs.push_back(requiredField("reportingComponent"));
    }
    validateQualifiedName(controller, "reportingComponent", errs);
    std::string_view instance = stringField(ev, "", "reportingInstance");
    if (instance.empty())
      errs.push_back(requiredField("reportingInstance"));
    if (instance.size() > kReportingInstanceLengthLimit)
      errs.push_back(invalidField(
          "reportingInstance", json::value(""),
          "can have at most " + std::to_string(kReportingInstanceLengthLimit) + " characters"));
    std::string_view action = stringField(ev, "", "action");
    if (action.empty())
      errs.push_back(requiredField("action"));
    if (action.size() > kActionLengthLimit)
      errs.push_back(
          invalidField("action", json::value(""),
                       "can have at most " + std::to_string(kActionLengthLimit) + " characters"));
    std::string_view reason = stringField(ev, "", "reason");
    if (reason.empty())
      errs.push_back(requiredField("reason"));
    if (reason.size() > kReasonLengthLimit)
      errs.push_back(
          invalidField("reason", json::value(""),
                       "can have at most " + std::to_string(kReasonLengthLimit) + " characters"));
    if (stringField(ev, "", "message").size() > kNoteLengthLimit)
      errs.push_back(
          invalidField("message", json::value(""),
                       "can have at most " + std::to_string(kNoteLengthLimit) + " characters"));
  }
  if (!ns.empty())
    validateDns1123Subdomain(ns, "namespace", errs);
  return errs;
}

class EventStrategy final : public Strategy {
 public:
  FieldErrors validate(const json::object& obj) const override { return validateEvent(obj); }

  FieldErrors validateUpdate(const json::object& obj, const json::object& old) const override {
    (void)old;
    return validateEvent(obj);
  }

  std::vector<TableColumn> tableColumns() const override {
    return {
        column("Last Seen",
               "The time at which the most recent occurrence of this event was recorded."),
        column("Type",
               "Type of this event (Normal, Warning), new types could be added in the future"),
        column("Reason",
               "This should be a short, machine understandable string that gives the reason for "
               "the transition into the object's current status."),
        column("Object", "The object that this event is about."),
        column("Subobject",
               "If referring to a piece of an object instead of an entire object, this string "
               "should contain a valid JSON/Go field access statement, such as "
               "desiredState.manifest.containers[2].",
               1),
        column("Source",
               "The component reporting this event. Should be a short machine understandable "
               "string.",
               1),
        column("Message", "A human-readable description of the status of this operation."),
        column("First Seen",
               "The time at which the event was first recorded. (Time of server receipt is in "
               "TypeMeta.)",
               1),
        column("Count", "The number of times this event has occurred.", 1),
        nameColumn(1),
    };
  }

  std::vector<json::value> tableRow(const json::object& obj, TimePoint now) const override {
    std::string firstSeen = hasValue(obj, "firstTimestamp")
                                ? sinceText(stringField(obj, "", "firstTimestamp"), now)
                                : sinceText(stringField(obj, "", "eventTime"), now);
    std::string lastSeen = hasValue(obj, "lastTimestamp")
                               ? sinceText(stringField(obj, "", "lastTimestamp"), now)
                               : firstSeen;
    std::int64_t count = int64Of(obj.if_contains("count")).value_or(0);
    if (const json::object* series = objectField(obj, "series")) {
      lastSeen = sinceText(stringOf(series->if_contains("lastObservedTime")), now);
      count = int64Of(series->if_contains("count")).value_or(0);
    } else if (count == 0) {
      count = 1;  // singleton events of the new API carry no count
    }
    std::string target = toLower(involved(obj, "kind"));
    if (std::string_view name = involved(obj, "name"); !name.empty())
      target += "/" + std::string(name);
    return {json::value(lastSeen),
            json::value(stringField(obj, "", "type")),
            json::value(stringField(obj, "", "reason")),
            json::value(target),
            json::value(involved(obj, "fieldPath")),
            json::value(eventSource(obj)),
            json::value(trimSpace(stringField(obj, "", "message"))),
            json::value(firstSeen),
            json::value(count),
            json::value(nameOf(obj))};
  }

  std::vector<std::string> selectableFieldNames() const override {
    return {"involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type"};
  }

  void selectableFields(const json::object& obj, SelectableFields& out) const override {
    constexpr std::string_view kPrefix = "involvedObject.";
    for (std::string_view name :
         {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
          "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
          "involvedObject.fieldPath"})
      out.emplace_back(name, std::string(involved(obj, name.substr(kPrefix.size()))));
    out.emplace_back("reason", std::string(stringField(obj, "", "reason")));
    out.emplace_back("reportingComponent", std::string(stringField(obj, "", "reportingComponent")));
    out.emplace_back("source", sourceSelectorValue(obj));
    out.emplace_back("type", std::string(stringField(obj, "", "type")));
  }
};

}  // namespace

ResourceSpec eventResourceSpec() {
  ResourceSpec s;
  s.group = "";
  s.version = "v1";
  s.kind = "Event";
  s.plural = "events";
  s.singular = "event";
  s.listKind = "EventList";
  s.scope = Scope::Namespaced;
  s.shortNames = {"ev"};
  attachSchema(s);
  return s;
}

std::shared_ptr<const Strategy> eventStrategy() {
  return std::make_shared<const EventStrategy>();
}

}  // namespace apiserver::plugins::core
