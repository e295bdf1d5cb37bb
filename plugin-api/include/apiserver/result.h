#pragma once

#include <apiserver/status.h>

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

/// @file result.h
/// Result<T>: a value or an error (by default an ApiError), shaped like C++23 std::expected so
/// that it can become one.

namespace apiserver {

/// Unexpected wraps an error to construct a failed Result (std::unexpected's role).
template <class E>
struct Unexpected {
  E error;
};

/// fail(error) makes a failed Result of any T.
template <class E>
Unexpected<E> fail(E error) {
  return Unexpected<E>{std::move(error)};
}

/// Result holds either a T or the error that explains why there is none.
/// Thread-safety: none of its own; treat like the value it holds.
template <class T, class E = ApiError>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}       // NOLINT: implicit by design
  Result(Unexpected<E> e) : v_(std::in_place_index<1>, std::move(e.error)) {}  // NOLINT
  Result(E e) : v_(std::in_place_index<1>, std::move(e)) {}                // NOLINT

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & {
    assert(has_value());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const E& error() const& {
    assert(!has_value());
    return std::get<1>(v_);
  }
  E&& error() && {
    assert(!has_value());
    return std::get<1>(std::move(v_));
  }

 private:
  std::variant<T, E> v_;
};

/// Result<void> is success or an error.
template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;
  Result(Unexpected<E> e) : error_(std::move(e.error)), failed_(true) {}  // NOLINT
  Result(E e) : error_(std::move(e)), failed_(true) {}                   // NOLINT

  bool has_value() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return !failed_; }
  void value() const { assert(!failed_); }
  const E& error() const& {
    assert(failed_);
    return error_;
  }
  E&& error() && {
    assert(failed_);
    return std::move(error_);
  }

 private:
  E error_{};
  bool failed_ = false;
};

}  // namespace apiserver
