#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/core/result.h"

namespace chainflow::tests::golden {

// A parsed .golden file (format: tests/golden/README.md).
struct GoldenFile {
  struct Line {
    int number = 0;  // 1-based line in the file
    std::string text;
  };
  // Every line before "output:" (comments, "input:", inputs), verbatim;
  // update mode keeps it and regenerates the rest.
  std::vector<std::string> head;
  std::vector<Line> inputs;  // input lines, comments and blanks dropped
  // Expected sections, comments and blanks dropped; absent section = empty.
  std::map<std::string, std::vector<std::string>> expected;
};

// The sections after "input:", in file order.
inline const std::vector<std::string>& ExpectedSections() {
  static const std::vector<std::string> kSections = {"output", "state", "metrics"};
  return kSections;
}

core::Result<GoldenFile> ReadGoldenFile(const std::string& path);

// The file text with `head` kept and the expected sections replaced by
// `actual` (update mode).
std::string FormatGoldenFile(const GoldenFile& file,
                             const std::map<std::string, std::vector<std::string>>& actual);

// A line diff ("  same", "- expected only", "+ actual only"), empty when equal.
std::string LineDiff(const std::vector<std::string>& expected,
                     const std::vector<std::string>& actual);

// Splits "kind a=1 b=2" into the kind and its fields. Duplicate fields and
// tokens without '=' are InvalidArgument.
struct FieldLine {
  std::string kind;
  std::map<std::string, std::string> fields;
};
core::Result<FieldLine> SplitFields(const std::string& line);

}  // namespace chainflow::tests::golden
