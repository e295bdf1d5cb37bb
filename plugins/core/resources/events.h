#pragma once

#include <apiserver/schema.h>
#include <apiserver/strategy.h>

#include <memory>

/// @file events.h
/// The core v1 events resource (kube's pkg/registry/core/event).

namespace apiserver::plugins::core {

/// eventResourceSpec describes events: namespaced, short name "ev".
ResourceSpec eventResourceSpec();

/// eventStrategy validates events as kube's legacy event validation does for v1 requests
/// (involvedObject namespace agreement; for events with eventTime also reportingComponent,
/// reportingInstance, action and reason, with their length limits), prints LAST SEEN TYPE
/// REASON OBJECT MESSAGE (+ SUBOBJECT SOURCE FIRST SEEN COUNT NAME) and offers the
/// involvedObject.*, reason, reportingComponent, source and type field selectors.
std::shared_ptr<const Strategy> eventStrategy();

}  // namespace apiserver::plugins::core
