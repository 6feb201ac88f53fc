#include "ingest/common/chain_event.h"
#include "engine/wire/event_types.h"

#include <fmt/format.h>

namespace chainflow::ingest::common {

std::string_view EventTypeName(v1::Envelope::PayloadCase payload) {
  switch (payload) {
    case v1::Envelope::kErc721Transfer:
      return engine::wire::kErc721TransferType;
    case v1::Envelope::kErc20Transfer:
      return engine::wire::kErc20TransferType;
    case v1::Envelope::kErc1155TransferSingle:
      return engine::wire::kErc1155TransferSingleType;
    case v1::Envelope::kErc1155TransferBatch:
      return engine::wire::kErc1155TransferBatchType;
    case v1::Envelope::kBlockEnd:
      return engine::wire::kBlockEndType;
    case v1::Envelope::kBlockReverted:
      return engine::wire::kBlockRevertedType;
    case v1::Envelope::kContractEvent:
      return engine::wire::kContractEventType;
    default:
      return {};
  }
}

v1::LogRef* MutableLogRef(v1::Envelope* envelope) {
  switch (envelope->payload_case()) {
    case v1::Envelope::kErc721Transfer:
      return envelope->mutable_erc721_transfer()->mutable_log();
    case v1::Envelope::kErc20Transfer:
      return envelope->mutable_erc20_transfer()->mutable_log();
    case v1::Envelope::kErc1155TransferSingle:
      return envelope->mutable_erc1155_transfer_single()->mutable_log();
    case v1::Envelope::kErc1155TransferBatch:
      return envelope->mutable_erc1155_transfer_batch()->mutable_log();
    case v1::Envelope::kContractEvent:
      return envelope->mutable_contract_event()->mutable_log();
    default:
      return nullptr;
  }
}

std::string IngestSource(std::string_view chain) {
  return fmt::format("chainflow/ingest/{}", chain);
}

}  // namespace chainflow::ingest::common
