#pragma once

#include <boost/json/value.hpp>

#include <compare>
#include <optional>
#include <string>
#include <string_view>

/// @file quantity.h
/// Resource quantities ("100m", "1Gi", "0.5", "1e3") as k8s.io/apimachinery/pkg/api/resource
/// parses them, reduced to an exact count of nano-units so that sums and comparisons are exact.

namespace apiserver::plugins::core {

/// Quantity is an exact amount in units of 10^-9 (a finer input is rounded up, as kube does).
class Quantity {
 public:
  Quantity() = default;
  /// fromNanos makes a quantity of `nanos` 10^-9 units.
  static Quantity fromNanos(__int128 nanos) {
    Quantity q;
    q.nanos_ = nanos;
    return q;
  }
  __int128 nanos() const { return nanos_; }
  /// isZero, isNegative and nanos inspect the amount.
  bool isZero() const { return nanos_ == 0; }
  bool isNegative() const { return nanos_ < 0; }
  Quantity& operator+=(const Quantity& o) {
    nanos_ += o.nanos_;
    return *this;
  }
  friend auto operator<=>(const Quantity&, const Quantity&) = default;

 private:
  __int128 nanos_ = 0;
};

/// kQuantityFormatError is kube's message for a string that is not a quantity.
inline constexpr const char* kQuantityFormatError =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/// parseQuantity reads a quantity string; nullopt when it is not one.
std::optional<Quantity> parseQuantity(std::string_view s);

/// quantityOf reads a quantity given as a JSON string or number; nullopt otherwise.
std::optional<Quantity> quantityOf(const boost::json::value& v);

/// quantityText renders the value as the client wrote it (strings as is, numbers serialized).
std::string quantityText(const boost::json::value& v);

}  // namespace apiserver::plugins::core
