#include "selection/list_selectors.h"

#include <utility>

namespace apiserver::selection {

Result<ListSelectors> parseListSelectors(std::string_view labelSelector,
                                         std::string_view fieldSelector,
                                         const FieldLabelConversion& conversion,
                                         std::optional<std::string_view> name) {
  // DecodeParameters: url.Values -> metav1.ListOptions -> internal ListOptions converts the label
  // selector first, then the field selector; either failure is errors.NewBadRequest(err.Error()).
  auto labels = LabelSelector::parse(labelSelector);
  if (!labels)
    return std::move(labels).error();
  auto parsed = FieldSelector::parse(fieldSelector);
  if (!parsed)
    return std::move(parsed).error();
  // "transform fields": scope.Convertor.ConvertFieldLabel for the resource's kind.
  auto fields = parsed->convert(conversion);
  if (!fields)
    return std::move(fields).error();

  if (name) {
    if (!fields->empty()) {
      const auto selected = fields->exactValue("metadata.name");
      if (!selected || *selected != *name) {
        return ApiError::badRequest("fieldSelector metadata.name doesn't match requested name");
      }
    } else {
      *fields = FieldSelector::oneTermEqual("metadata.name", std::string(*name));
    }
  }
  return ListSelectors{std::move(*labels), std::move(*fields)};
}

}  // namespace apiserver::selection
