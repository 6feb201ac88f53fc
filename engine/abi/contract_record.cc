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

namespace {

void AppendContractRecordId(const v1::ContractEvent& event, std::string* id) {
  // Compiled formats and no temporaries: this runs once per contract event
  // written, by ingest on a replay and by contract_events.
  const v1::LogRef& log = event.log();
  fmt::format_to(std::back_inserter(*id), FMT_COMPILE("{}/{}/{}/{}"), log.chain(),
                 log.block_number(), log.log_index(), event.contract());
  if (log.block_hash().size() >= 4) {
    *id += '/';
    core::AppendHex(std::string_view(log.block_hash()).substr(0, 4), id);
  }
  if (event.retracted()) *id += "/retracted";
}

}  // namespace

std::string ContractRecordId(const v1::ContractEvent& event) {
  std::string id;
  id.reserve(event.log().chain().size() + event.contract().size() + 50);
  AppendContractRecordId(event, &id);
  return id;
}

ContractRecordWriter::ContractRecordWriter(std::string_view topic_prefix,
                                           const CatalogContract& contract)
    : contract_(contract),
      topic_(wire::ContractTopic(topic_prefix, contract.name())),
      types_(contract.decoder.events().size()) {}

core::Status ContractRecordWriter::Write(const v1::ContractEvent& event, ContractRecord* out) {
  const Event* selected = contract_.decoder.Find(event.signature());
  if (selected == nullptr) {
    return core::InvalidArgumentError(fmt::format("contract {} selects no event {}",
                                                  contract_.name(), event.signature()));
  }
  if (key_.empty() || event.log().chain() != chain_) {
    chain_ = event.log().chain();
    key_ = wire::ContractTopicKey(chain_, contract_.name());
  }
  std::string& type = types_[static_cast<size_t>(selected - contract_.decoder.events().data())];
  if (type.empty()) type = wire::ContractEventType(contract_.name(), event.event());
  out->topic = topic_;
  out->key = key_;
  out->id.clear();
  AppendContractRecordId(event, &out->id);
  out->ce_type = type;
  out->event_time = static_cast<int64_t>(event.log().block_timestamp());
  if (contract_.config->format == "json") {
    ASSIGN_OR_RETURN(out->value, ContractEventJson(event, *selected, out->id));
    out->json = true;
    return core::Status::Ok();
  }
  out->json = false;
  // The event is lent to the envelope for its serialization rather than
  // copied into it (a copy allocates every value and string again).
  envelope_.set_id(out->id);
  envelope_.unsafe_arena_set_allocated_contract_event(const_cast<v1::ContractEvent*>(&event));
  const bool serialized = envelope_.SerializeToString(&out->value);
  envelope_.unsafe_arena_release_contract_event();
  if (!serialized) {
    return core::InternalError(fmt::format("cannot serialize the record {}", out->id));
  }
  return core::Status::Ok();
}

}  // namespace chainflow::engine::abi
