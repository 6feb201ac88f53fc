#include "ingest/evm/abi_matcher.h"

#include <algorithm>
#include <span>

#include "engine/abi/proto_value.h"
#include "ingest/evm/log_decoder.h"

namespace chainflow::ingest::evm {
namespace {

namespace abi = engine::abi;

bool HasTopic0(const abi::CatalogContract& contract, const core::Bytes32& topic0) {
  for (const abi::Event& e : contract.decoder.events()) {
    if (!e.anonymous && e.topic0 == topic0) return true;
  }
  return false;
}

AbiMatch MakeMatch(const abi::CatalogContract& contract, const abi::DecodedEvent& decoded) {
  AbiMatch match;
  match.contract = &contract;
  match.event.set_contract(contract.name());
  match.event.set_event(decoded.event->name);
  match.event.set_signature(decoded.event->signature);
  abi::ToProto(decoded.values, match.event.mutable_values());
  return match;
}

}  // namespace

AbiMatcher::AbiMatcher(std::string chain, std::vector<const abi::CatalogContract*> contracts)
    : chain_(std::move(chain)), contracts_(std::move(contracts)) {
  for (const abi::CatalogContract* c : contracts_) {
    for (const core::Address& a : c->config->addresses) {
      by_address_.emplace_back(a, c);
      addresses_.push_back(a);
    }
    if (c->config->factory) made_.push_back(c);
  }
  std::stable_sort(by_address_.begin(), by_address_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::sort(addresses_.begin(), addresses_.end());
  addresses_.erase(std::unique(addresses_.begin(), addresses_.end()), addresses_.end());
}

core::Status AbiMatcher::Match(const DecodedLog& log, std::vector<AbiMatch>* out) const {
  const std::span<const core::Bytes32> topics(log.topics.data(), log.topic_count);
  auto first = std::lower_bound(by_address_.begin(), by_address_.end(), log.address,
                                [](const auto& entry, const core::Address& a) {
                                  return entry.first < a;
                                });
  for (auto it = first; it != by_address_.end() && it->first == log.address; ++it) {
    const abi::CatalogContract& contract = *it->second;
    if (log.block_number < contract.config->start_block) continue;
    core::Result<abi::DecodedEvent> decoded = contract.decoder.Decode(topics, log.data);
    if (!decoded) {
      if (decoded.error().code() == core::StatusCode::kNotFound) continue;
      return decoded.error().WithContext("contract \"" + contract.name() + "\"");
    }
    out->push_back(MakeMatch(contract, decoded.value()));
  }
  if (log.topic_count == 0) return core::Status::Ok();
  for (const abi::CatalogContract* contract : made_) {
    if (log.block_number < contract->config->start_block) continue;
    const auto& own = contract->config->addresses;
    if (std::find(own.begin(), own.end(), log.address) != own.end()) continue;  // done above
    if (!HasTopic0(*contract, log.topics[0])) continue;
    core::Result<abi::DecodedEvent> decoded = contract->decoder.Decode(topics, log.data);
    if (!decoded) continue;  // another contract's event with the same signature
    out->push_back(MakeMatch(*contract, decoded.value()));
  }
  return core::Status::Ok();
}

}  // namespace chainflow::ingest::evm
