#pragma once

#include <apiserver/authorization.h>
#include <apiserver/result.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

/// @file authorizer_chain.h
/// The server's authorizer (kube's pkg/kubeapiserver/authorizer): the modes of
/// `--authorization-mode` in order behind the system:masters check, the first Allow or Deny
/// winning (kube's union authorizer), and the built-in AlwaysAllow and AlwaysDeny modes.

namespace apiserver::authorization {

inline constexpr std::string_view kModeAlwaysAllow = "AlwaysAllow";
inline constexpr std::string_view kModeAlwaysDeny = "AlwaysDeny";

/// alwaysAllow allows everything; its rules are everything (kube's alwaysAllowAuthorizer).
std::shared_ptr<const Authorizer> alwaysAllow();
/// alwaysDeny has no opinion on anything, with the reason "Everything is forbidden." (kube's
/// alwaysDenyAuthorizer); it lists no rules.
std::shared_ptr<const Authorizer> alwaysDeny();

/// AuthorizerChain asks its authorizers in order after allowing members of system:masters; the
/// first Allow or Deny decides. When nobody decides, the reasons are joined with newlines.
/// rulesFor gathers every authorizer's rules. Immutable, thread-safe.
class AuthorizerChain final : public Authorizer {
 public:
  struct Entry {
    std::string mode;
    std::shared_ptr<const Authorizer> authorizer;
  };
  explicit AuthorizerChain(std::vector<Entry> entries) : entries_(std::move(entries)) {}

  AuthorizationDecision authorize(const AuthorizationAttributes& attrs) const override;
  SubjectRules rulesFor(const UserInfo& user, std::string_view ns) const override;
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

/// buildChain resolves `modes` (in order) against the built-in modes and the authorizers
/// plugins registered. An unknown or repeated mode is an error naming the available ones.
Result<std::shared_ptr<const AuthorizerChain>> buildChain(
    const std::vector<std::string>& modes, const std::map<std::string, std::shared_ptr<const Authorizer>>& registered);

/// ServerAuthorizer is the authorizer handed to plugins (Registrar::authorizer()) before the
/// chain exists: it forwards to the chain once set and has no opinion until then. Thread-safe.
class ServerAuthorizer final : public Authorizer {
 public:
  void set(std::shared_ptr<const Authorizer> target) { target_.store(std::move(target)); }
  std::shared_ptr<const Authorizer> target() const { return target_.load(); }

  AuthorizationDecision authorize(const AuthorizationAttributes& attrs) const override;
  SubjectRules rulesFor(const UserInfo& user, std::string_view ns) const override;

 private:
  std::atomic<std::shared_ptr<const Authorizer>> target_;
};

}  // namespace apiserver::authorization
