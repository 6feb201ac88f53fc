#include "ingest/common/chain_event.h"

#include <fmt/format.h>

namespace chainflow::ingest::common {

std::string_view EventTypeName(v1::Envelope::PayloadCase payload) {
  switch (payload) {
    case v1::Envelope::kErc721Transfer:
      return "chainflow.evm.Erc721Transfer";
    case v1::Envelope::kErc20Transfer:
      return "chainflow.evm.Erc20Transfer";
    case v1::Envelope::kErc1155TransferSingle:
      return "chainflow.evm.Erc1155TransferSingle";
    case v1::Envelope::kErc1155TransferBatch:
      return "chainflow.evm.Erc1155TransferBatch";
    case v1::Envelope::kBlockEnd:
      return "chainflow.evm.BlockEnd";
    case v1::Envelope::kBlockReverted:
      return "chainflow.evm.BlockReverted";
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
    default:
      return nullptr;
  }
}

std::string IngestSource(std::string_view chain) {
  return fmt::format("chainflow/ingest/{}", chain);
}

std::string ChainTopic(std::string_view prefix, std::string_view chain) {
  return fmt::format("{}.{}.events", prefix, chain);
}

std::string DeadLetterTopic(std::string_view prefix) { return fmt::format("{}.dlq", prefix); }

}  // namespace chainflow::ingest::common
