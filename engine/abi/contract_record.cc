#include "engine/abi/contract_record.h"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <iterator>

#include "engine/abi/json_record.h"
#include "engine/core/hex.h"
#include "engine/wire/event_types.h"
#include "engine/wire/keys.h"
#include "engine/wire/topics.h"

namespace chainflow::engine::abi {

std::string ContractRecordId(const v1::ContractEvent& event) {
  // Compiled formats and no temporaries: this runs once per contract event
  // written, by ingest on a replay and by contract_events.
  const v1::LogRef& log = event.log();
  std::string id;
  id.reserve(log.chain().size() + event.contract().size() + 50);
  fmt::format_to(std::back_inserter(id), FMT_COMPILE("{}/{}/{}/{}"), log.chain(),
                 log.block_number(), log.log_index(), event.contract());
  if (log.block_hash().size() >= 4) {
    id += '/';
    core::AppendHex(std::string_view(log.block_hash()).substr(0, 4), &id);
  }
  if (event.retracted()) id += "/retracted";
  return id;
}

core::Result<ContractRecord> MakeContractRecord(std::string_view topic_prefix,
                                                const CatalogContract& contract,
                                                const v1::ContractEvent& event) {
  const Event* selected = contract.decoder.Find(event.signature());
  if (selected == nullptr) {
    return core::InvalidArgumentError(fmt::format("contract {} selects no event {}",
                                                  contract.name(), event.signature()));
  }
  ContractRecord record;
  record.topic = wire::ContractTopic(topic_prefix, contract.name());
  record.key = wire::ContractTopicKey(event.log().chain(), contract.name());
  record.id = ContractRecordId(event);
  record.ce_type = wire::ContractEventType(contract.name(), event.event());
  record.event_time = static_cast<int64_t>(event.log().block_timestamp());
  if (contract.config->format == "json") {
    ASSIGN_OR_RETURN(record.value, ContractEventJson(event, *selected, record.id));
    record.json = true;
    return record;
  }
  // The event is lent to the envelope for its serialization rather than
  // copied into it (a copy allocates every value and string again).
  v1::Envelope envelope;
  envelope.set_id(record.id);
  envelope.unsafe_arena_set_allocated_contract_event(const_cast<v1::ContractEvent*>(&event));
  record.value = envelope.SerializeAsString();
  envelope.unsafe_arena_release_contract_event();
  return record;
}

}  // namespace chainflow::engine::abi
