#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "chainflow/v1/events.pb.h"
#include "ingest/common/position.h"

namespace chainflow::ingest::common {

// One normalized chain event, ready to append: the Envelope (its id set),
// the record key, the CloudEvents type and the event time.
struct ChainEvent {
  Position position;
  std::string key;
  std::string_view type;      // ce_type; points to static storage (EventTypeName)
  int64_t time_seconds = 0;   // block timestamp
  v1::Envelope envelope;
};

// The ce_type of an Envelope payload, e.g. "chainflow.evm.Erc721Transfer"
// ("chainflow.evm.BlockEnd" for markers). Empty for payloads ingest does not
// produce. Static storage.
std::string_view EventTypeName(v1::Envelope::PayloadCase payload);

// The LogRef of a chain event payload (transfers); nullptr for markers and
// payloads without one.
v1::LogRef* MutableLogRef(v1::Envelope* envelope);

// "chainflow/ingest/<chain>": the ce_source of everything ingest appends.
std::string IngestSource(std::string_view chain);

// "<prefix>.<chain>.events" and "<prefix>.dlq".

}  // namespace chainflow::ingest::common
