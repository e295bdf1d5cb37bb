#include "sample/gadget_controller.h"

#include "sample/gadgets.h"

#include <apiserver/object.h>

#include <chrono>
#include <vector>

namespace apiserver::plugins::sample {

namespace {
const GroupResource kGadgets{kGroup, "gadgets"};
}  // namespace

Result<void> GadgetController::start(Client& client) {
  thread_ = std::jthread([this, &client](std::stop_token stop) { run(stop, client); });
  return {};
}

void GadgetController::stop() noexcept {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

bool GadgetController::reconcile(Client& client, const json::object& gadget, Logger& log) {
  if (field(gadget, "metadata", "deletionTimestamp") != nullptr) return true;
  const auto generation = int64Field(gadget, "metadata", "generation").value_or(0);
  const auto observed = int64Field(gadget, "status", "observedGeneration");
  if (observed && *observed == generation && stringField(gadget, "", "status", "phase") == "Ready") return true;
  json::object next = gadget;
  next["status"] = json::object{{"phase", "Ready"}, {"observedGeneration", generation}};
  auto r = client.update(kGadgets, namespaceOf(gadget), std::move(next), "status");
  if (!r && r.error().code != 404 && r.error().code != 409) {
    log.warn("GadgetController: updating the status of " + std::string(namespaceOf(gadget)) + "/" +
             std::string(nameOf(gadget)) + ": " + r.error().message);
    return false;
  }
  return true;  // a conflict means a newer version is on its way through the watch
}

void GadgetController::run(std::stop_token stop, Client& client) {
  std::unique_ptr<ObjectWatch> watch;
  std::vector<ObjectEvent> events;
  while (!stop.stop_requested()) {
    if (!watch) {
      auto w = client.watch(kGadgets, "");
      if (!w) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        continue;
      }
      watch = std::move(*w);
    }
    events.clear();
    const bool more = watch->next(events, std::chrono::milliseconds(200));
    for (const auto& ev : events)
      if (ev.type != ObjectEvent::Type::Deleted) reconcile(client, ev.object, log_);
    if (!more) watch.reset();  // the watch ended (fell behind): start over, with initial events
  }
}

}  // namespace apiserver::plugins::sample
