#include "authentication/token_file.h"

#include <fstream>
#include <sstream>

namespace apiserver::authentication {

namespace {

/// CsvRecord is one record and the line it started on.
struct CsvRecord {
  std::vector<std::string> fields;
  std::size_t line = 0;
};

/// readCsv reads records as Go's encoding/csv does with TrimLeadingSpace and a variable number of
/// fields: records end at a newline outside quotes, blank lines are skipped, a field that starts
/// with '"' is quoted ("" is a quote) and may span lines, and a '"' inside an unquoted field is an
/// error.
Result<std::vector<CsvRecord>> readCsv(std::string_view text, const std::string& path) {
  std::vector<CsvRecord> records;
  std::size_t line = 1;
  std::size_t i = 0;
  auto error = [&](std::size_t atLine, std::size_t column, const std::string& what) {
    return fail(ApiError::badRequest("token file '" + path + "' line " + std::to_string(atLine) + ", column " +
                                     std::to_string(column) + ": " + what));
  };
  while (i < text.size()) {
    // A line that is empty (or only blanks) is no record.
    std::size_t end = text.find('\n', i);
    if (end == std::string_view::npos) end = text.size();
    std::string_view whole = text.substr(i, end - i);
    if (whole.find_first_not_of(" \t\r") == std::string_view::npos) {
      i = end + 1;
      ++line;
      continue;
    }
    CsvRecord rec;
    rec.line = line;
    std::size_t lineStart = i;
    for (;;) {
      while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
      std::string field;
      if (i < text.size() && text[i] == '"') {
        const std::size_t quoteLine = line;
        const std::size_t quoteCol = i - lineStart + 1;
        ++i;
        bool closed = false;
        while (i < text.size()) {
          char c = text[i];
          if (c == '"') {
            if (i + 1 < text.size() && text[i + 1] == '"') {
              field.push_back('"');
              i += 2;
              continue;
            }
            ++i;
            closed = true;
            break;
          }
          if (c == '\n') {
            ++line;
            lineStart = i + 1;
          }
          field.push_back(c);
          ++i;
        }
        if (!closed) return error(quoteLine, quoteCol, "extraneous or missing \" in quoted-field");
        if (i < text.size() && text[i] == '\r' && (i + 1 == text.size() || text[i + 1] == '\n')) ++i;
        if (i < text.size() && text[i] != ',' && text[i] != '\n')
          return error(line, i - lineStart + 1, "extraneous or missing \" in quoted-field");
      } else {
        while (i < text.size() && text[i] != ',' && text[i] != '\n') {
          if (text[i] == '"') return error(line, i - lineStart + 1, "bare \" in non-quoted-field");
          field.push_back(text[i]);
          ++i;
        }
        if (!field.empty() && field.back() == '\r') field.pop_back();
      }
      rec.fields.push_back(std::move(field));
      if (i < text.size() && text[i] == ',') {
        ++i;
        continue;
      }
      break;  // end of line or of text
    }
    records.push_back(std::move(rec));
    if (i < text.size()) ++i;  // the newline
    ++line;
  }
  return records;
}

}  // namespace

Result<TokenFile> TokenFile::parse(std::string_view csv, const std::string& path, std::vector<std::string>* warnings) {
  auto records = readCsv(csv, path);
  if (!records) return fail(std::move(records).error());
  TokenFile f;
  std::size_t recordNum = 0;
  for (auto& rec : *records) {
    if (rec.fields.size() < 3)
      return fail(ApiError::badRequest("token file '" + path + "' line " + std::to_string(rec.line) +
                                       ": must have at least 3 columns (token, user name, user uid), found " +
                                       std::to_string(rec.fields.size())));
    ++recordNum;
    if (rec.fields[0].empty()) {
      if (warnings != nullptr)
        warnings->push_back("empty token has been found in token file '" + path + "', line " + std::to_string(rec.line) +
                            " (record number " + std::to_string(recordNum) + ")");
      continue;
    }
    UserInfo u;
    u.name = rec.fields[1];
    u.uid = rec.fields[2];
    if (rec.fields.size() >= 4) {
      std::string_view rest = rec.fields[3];
      for (;;) {
        auto comma = rest.find(',');
        std::string_view g = rest.substr(0, comma);
        if (!g.empty()) u.groups.emplace_back(g);
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    }
    if (f.tokens_.contains(rec.fields[0]) && warnings != nullptr)
      warnings->push_back("duplicate token has been found in token file '" + path + "', line " +
                          std::to_string(rec.line) + " (record number " + std::to_string(recordNum) +
                          "); the later line wins");
    f.tokens_.insert_or_assign(std::move(rec.fields[0]), std::move(u));
  }
  return f;
}

Result<TokenFile> TokenFile::load(const std::filesystem::path& file, std::vector<std::string>* warnings) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(ApiError::badRequest("open " + file.string() + ": no such file or not readable"));
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), file.string(), warnings);
}

const UserInfo* TokenFile::find(std::string_view token) const {
  auto it = tokens_.find(token);
  return it == tokens_.end() ? nullptr : &it->second;
}

}  // namespace apiserver::authentication
