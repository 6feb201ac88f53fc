#include "tests/golden/golden_file.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace chainflow::tests::golden {
namespace {

std::string Trim(const std::string& s) {
  size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  size_t end = s.find_last_not_of(" \t\r");
  return s.substr(begin, end - begin + 1);
}

bool IsSectionHeader(const std::string& line, std::string* name) {
  if (line.empty() || line.back() != ':' || line.find(' ') != std::string::npos) return false;
  *name = line.substr(0, line.size() - 1);
  return true;
}

}  // namespace

core::Result<GoldenFile> ReadGoldenFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return core::NotFoundError("cannot read " + path);
  GoldenFile file;
  std::string section;  // "" before "input:"
  std::string raw;
  int number = 0;
  while (std::getline(in, raw)) {
    ++number;
    std::string line = Trim(raw);
    std::string name;
    bool header = IsSectionHeader(line, &name);
    if (header) {
      bool known = name == "input" || std::count(ExpectedSections().begin(),
                                                 ExpectedSections().end(), name) > 0;
      if (!known) {
        return core::InvalidArgumentError(
            fmt::format("{}:{}: unknown section \"{}\"", path, number, name));
      }
      if (name != "input" && section.empty()) {
        return core::InvalidArgumentError(
            fmt::format("{}:{}: section {} before input:", path, number, name));
      }
      section = name;
    }
    if (section.empty() || section == "input") file.head.push_back(raw);
    if (header || line.empty() || line[0] == '#') continue;
    if (section.empty()) {
      return core::InvalidArgumentError(
          fmt::format("{}:{}: content before the input: section", path, number));
    }
    if (section == "input") {
      file.inputs.push_back({number, line});
    } else {
      file.expected[section].push_back(line);
    }
  }
  while (!file.head.empty() && Trim(file.head.back()).empty()) file.head.pop_back();
  return file;
}

std::string FormatGoldenFile(const GoldenFile& file,
                             const std::map<std::string, std::vector<std::string>>& actual) {
  std::string out;
  for (const std::string& line : file.head) out += line + "\n";
  for (const std::string& section : ExpectedSections()) {
    out += "\n" + section + ":\n";
    auto it = actual.find(section);
    if (it == actual.end()) continue;
    for (const std::string& line : it->second) out += line + "\n";
  }
  return out;
}

std::string LineDiff(const std::vector<std::string>& expected,
                     const std::vector<std::string>& actual) {
  if (expected == actual) return "";
  // Longest common subsequence; golden sections are small.
  const size_t n = expected.size(), m = actual.size();
  std::vector<std::vector<size_t>> lcs(n + 1, std::vector<size_t>(m + 1, 0));
  for (size_t i = n; i-- > 0;) {
    for (size_t j = m; j-- > 0;) {
      lcs[i][j] = expected[i] == actual[j] ? lcs[i + 1][j + 1] + 1
                                           : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  std::string out;
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && expected[i] == actual[j]) {
      out += "  " + expected[i++] + "\n";
      ++j;
    } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      out += "- " + expected[i++] + "\n";
    } else {
      out += "+ " + actual[j++] + "\n";
    }
  }
  return out;
}

core::Result<FieldLine> SplitFields(const std::string& line) {
  FieldLine result;
  std::istringstream in(line);
  in >> result.kind;
  std::string token;
  while (in >> token) {
    size_t eq = token.find('=');
    if (eq == std::string::npos || eq == 0) {
      return core::InvalidArgumentError(fmt::format("token \"{}\" is not key=value", token));
    }
    std::string key = token.substr(0, eq);
    if (!result.fields.emplace(key, token.substr(eq + 1)).second) {
      return core::InvalidArgumentError(fmt::format("field {} given twice", key));
    }
  }
  return result;
}

}  // namespace chainflow::tests::golden
