#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chainflow/v1/events.pb.h"
#include "engine/abi/catalog.h"
#include "engine/core/result.h"

namespace chainflow::engine::abi {

// A contract event as its contract's topic carries it (README.md "Contracts
// by ABI", engine/processors/contract_events/README.md): what the
// contract_events processor relays and what ingest writes there directly for
// final history, one format for both writers.
struct ContractRecord {
  std::string topic;     // <prefix>.contract.<name>
  std::string key;       // <chain>:<name>: one partition per contract and chain
  std::string id;        // ContractRecordId
  std::string ce_type;   // chainflow.contract.<name>.<Event>
  int64_t event_time = 0;  // the block's timestamp, seconds
  std::string value;     // an Envelope with `contract_event`, or the JSON record
  bool json = false;     // `format = "json"`: content-type application/json
};

// "<chain>/<block>/<log index>/<contract>[/<8 hex of the block hash>]
// [/retracted]": the same log in another branch has another id.
std::string ContractRecordId(const v1::ContractEvent& event);

// Writes the records of one contract's topic under `topic_prefix`, for both
// writers of that topic (the contract_events processor, ingest's direct
// lanes): what every record shares (topic, key, CloudEvents type) is worked
// out once, and each record is written over the last one's strings. One per
// thread; `contract` must outlive it.
class ContractRecordWriter {
 public:
  ContractRecordWriter(std::string_view topic_prefix, const CatalogContract& contract);

  // Overwrites `out` with the record of `event` (its signature one of the
  // contract's selected events). InvalidArgument when the event is not one
  // of the contract's or its values do not fit it (JSON).
  core::Status Write(const v1::ContractEvent& event, ContractRecord* out);

 private:
  const CatalogContract& contract_;
  std::string topic_;
  std::string chain_;  // the chain of `key_`
  std::string key_;
  std::vector<std::string> types_;  // ce_type per event of the decoder; empty until used
  v1::Envelope envelope_;           // serializes the event it is lent
};

}  // namespace chainflow::engine::abi
