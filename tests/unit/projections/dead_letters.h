#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "engine/log/record.h"

namespace chainflow::projections::testing {

// Expects `sent` to be the dead letter of `source`: its value, and the
// headers naming the source, `processor` and an error containing `error`.
inline void ExpectDeadLetterOf(const engine::log::Record& sent, const engine::log::Record& source,
                               const std::string& processor, const std::string& error) {
  EXPECT_EQ(sent.value, source.value);
  std::map<std::string, std::string> headers;
  for (const auto& h : sent.headers) headers[h.key] = h.value;
  EXPECT_EQ(headers["cf_source_topic"], source.topic);
  EXPECT_EQ(headers["cf_source_partition"], std::to_string(source.partition.value()));
  EXPECT_EQ(headers["cf_source_offset"], std::to_string(source.offset.value()));
  EXPECT_EQ(headers["cf_processor"], processor);
  EXPECT_NE(headers["cf_error"].find(error), std::string::npos) << headers["cf_error"];
}

}  // namespace chainflow::projections::testing
