#pragma once

#include <apiserver/request.h>
#include <apiserver/result.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

/// @file token_file.h
/// The static token file of `--token-auth-file`, in kube's format: CSV lines
/// `token,user,uid[,"group1,group2"]` (Go's encoding/csv with leading spaces trimmed; a quoted
/// field may hold commas). An empty token is skipped, a duplicate replaces the earlier line (both
/// with a warning, as kube); a line with fewer than three fields or broken quoting is an error
/// naming the file and the line.

namespace apiserver::authentication {

/// TokenFile maps bearer tokens to users. Immutable after parsing; thread-safe to read.
class TokenFile {
 public:
  /// parse reads the CSV text; `path` names it in messages; warnings (empty or duplicate tokens)
  /// are appended to `warnings`.
  static Result<TokenFile> parse(std::string_view csv, const std::string& path, std::vector<std::string>* warnings);
  /// load reads and parses a file.
  static Result<TokenFile> load(const std::filesystem::path& file, std::vector<std::string>* warnings);

  /// find is the user of `token`, or null.
  const UserInfo* find(std::string_view token) const;
  std::size_t size() const { return tokens_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, UserInfo, Hash, std::equal_to<>> tokens_;
};

}  // namespace apiserver::authentication
