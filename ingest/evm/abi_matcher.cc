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

// Fills `match` from its `decoded` values, over what an earlier log left.
void FillMatch(const abi::CatalogContract& contract, AbiMatch* match) {
  match->contract = &contract;
  v1::ContractEvent& event = match->event;
  abi::ClearForReuse(&event);
  event.set_contract(contract.name());
  event.set_event(match->decoded.event->name);
  event.set_signature(match->decoded.event->signature);
  abi::ToProto(match->decoded.values, event.mutable_values());
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

core::Status AbiMatcher::Match(const DecodedLog& log, std::vector<AbiMatch>* out,
                               size_t* count) const {
  *count = 0;
  // The element the next match is decoded into.
  auto next = [out, count]() -> AbiMatch& {
    if (*count == out->size()) out->emplace_back();
    return (*out)[*count];
  };
  const std::span<const core::Bytes32> topics(log.topics.data(), log.topic_count);
  auto first = std::lower_bound(by_address_.begin(), by_address_.end(), log.address,
                                [](const auto& entry, const core::Address& a) {
                                  return entry.first < a;
                                });
  for (auto it = first; it != by_address_.end() && it->first == log.address; ++it) {
    const abi::CatalogContract& contract = *it->second;
    if (log.block_number < contract.config->start_block) continue;
    AbiMatch& match = next();
    core::Status decoded = contract.decoder.Decode(topics, log.data, &match.decoded);
    if (!decoded.ok()) {
      if (decoded.code() == core::StatusCode::kNotFound) continue;
      return decoded.WithContext("contract \"" + contract.name() + "\"");
    }
    FillMatch(contract, &match);
    ++*count;
  }
  if (log.topic_count == 0) return core::Status::Ok();
  for (const abi::CatalogContract* contract : made_) {
    if (log.block_number < contract->config->start_block) continue;
    const auto& own = contract->config->addresses;
    if (std::find(own.begin(), own.end(), log.address) != own.end()) continue;  // done above
    if (!HasTopic0(*contract, log.topics[0])) continue;
    AbiMatch& match = next();
    if (!contract->decoder.Decode(topics, log.data, &match.decoded).ok()) {
      continue;  // another contract's event with the same signature
    }
    FillMatch(*contract, &match);
    ++*count;
  }
  return core::Status::Ok();
}

}  // namespace chainflow::ingest::evm
