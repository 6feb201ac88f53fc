#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "engine/log/record.h"

namespace chainflow::engine::log {

// CloudEvents Kafka binding headers (DESIGN.md §4), in binary mode:
// ce_specversion=1.0, ce_id, ce_source, ce_type, ce_time (RFC 3339, UTC),
// content-type (application/protobuf unless the event says otherwise).
struct CloudEvent {
  std::string id;      // the deterministic record id
  std::string source;  // e.g. "chainflow/ingest/mainnet", "chainflow/nft_ownership"
  std::string type;    // e.g. "chainflow.nft.OwnerChanged"
  int64_t time_seconds = 0;  // event time (block timestamp)
  std::string content_type = "application/protobuf";
};

// The headers of `event`, with room for one more (most writers add their
// position header), in this order (a writer that reuses them for record
// after record rewrites the values at these indexes).
enum CloudEventHeader : size_t {
  kCeSpecVersion,
  kCeId,
  kCeSource,
  kCeType,
  kCeTime,
  kCeContentType,
};
inline constexpr size_t kCloudEventHeaderCount = 6;
std::vector<Header> CloudEventHeaders(CloudEvent event);
// RFC 3339 UTC ("2021-04-16T12:00:00Z").
std::string FormatRfc3339(int64_t seconds);

}  // namespace chainflow::engine::log
