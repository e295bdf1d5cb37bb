#pragma once

#include "selection/field_selector.h"
#include "selection/label_selector.h"

#include <apiserver/result.h>

#include <optional>
#include <string_view>

/// @file list_selectors.h
/// The labelSelector and fieldSelector of a LIST or WATCH request, parsed and checked as
/// kube-apiserver does, with the exact 400 answers it gives. The HTTP layer calls only this.

namespace apiserver::selection {

/// ListSelectors are the parsed labelSelector and fieldSelector of one LIST or WATCH request.
struct ListSelectors {
  LabelSelector labels;
  FieldSelector fields;
};

/// parseListSelectors does what kube-apiserver's ListResource handler (endpoints/handlers/get.go)
/// does with the two query parameters, in its order, and fails with the very 400 Status kube
/// sends (reason BadRequest, message = the error text below, no details):
///  1. labels.Parse(labelSelector), e.g. "unable to parse requirement: found '', expected: ',' or
///  ')'";
///  2. fields.ParseSelector(fieldSelector), e.g. "invalid selector: 'a'; can't understand 'a'";
///  3. the resource's field label conversion, e.g. "field label not supported: spec.foo";
///  4. with `name` (a watch of one named object): a field selector must pin metadata.name to it,
///     else "fieldSelector metadata.name doesn't match requested name"; without a field selector
///     it becomes metadata.name=<name>.
/// (kube validates the other ListOptions between steps 2 and 3; a caller that does so too and
/// needs the exact order can call LabelSelector::parse, FieldSelector::parse and convert.)
/// The parameters are the decoded query values ('+' already turned into ' '); kube takes the
/// first value of a repeated parameter.
Result<ListSelectors> parseListSelectors(std::string_view labelSelector,
                                         std::string_view fieldSelector,
                                         const FieldLabelConversion& conversion,
                                         std::optional<std::string_view> name = std::nullopt);

}  // namespace apiserver::selection
