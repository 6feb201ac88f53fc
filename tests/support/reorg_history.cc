#include "tests/support/reorg_history.h"

#include <algorithm>
#include <random>

#include <fmt/format.h>

namespace chainflow::testing {
namespace {

std::string Word(uint64_t v, size_t width) {
  std::string out(width, '\0');
  for (size_t i = 0; i < 8 && i < width; ++i) out[width - 1 - i] = static_cast<char>(v >> (8 * i));
  return out;
}

struct Block {
  uint64_t number = 0;
  std::string hash;
  std::vector<v1::Envelope> envelopes;  // events then the BlockEnd
};

v1::LogRef Log(const std::string& chain, const Block& b, uint32_t index, uint64_t contract) {
  v1::LogRef log;
  log.set_chain(chain);
  log.set_block_number(b.number);
  log.set_block_hash(b.hash);
  log.set_block_timestamp(1'700'000'000 + 12 * b.number);
  log.set_tx_hash(Word(b.number * 1000 + index, 32));
  log.set_log_index(index);
  log.set_contract(Word(contract, 20));
  return log;
}

Block MakeBlock(std::mt19937& rng, const std::string& chain, uint64_t number, uint64_t branch,
                int tokens) {
  Block b;
  b.number = number;
  b.hash = Word(number << 16 | branch, 32);
  int events = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < events; ++i) {
    v1::Envelope env;
    uint64_t token = rng() % static_cast<uint64_t>(tokens);
    uint64_t from = rng() % 4 == 0 ? 0 : 1 + rng() % 5;
    uint64_t to = rng() % 8 == 0 ? 0 : 1 + rng() % 5;
    v1::LogRef log = Log(chain, b, static_cast<uint32_t>(i), rng() % 2 == 0 ? 0x721 : 0x1155);
    env.set_id(fmt::format("{}/{}/{}", chain, number, i));
    if (log.contract() == Word(0x721, 20)) {
      auto* t = env.mutable_erc721_transfer();
      *t->mutable_log() = log;
      t->set_from(Word(from, 20));
      t->set_to(Word(to, 20));
      t->set_token_id(Word(token, 32));
    } else {
      auto* t = env.mutable_erc1155_transfer_single();
      *t->mutable_log() = log;
      t->set_operator_(Word(from, 20));
      t->set_from(Word(from, 20));
      t->set_to(Word(to, 20));
      t->set_token_id(Word(token, 32));
      t->set_value(Word(1 + rng() % 50, 32));
    }
    b.envelopes.push_back(std::move(env));
  }
  v1::Envelope end;
  end.set_id(fmt::format("{}/{}/end", chain, number));
  auto* m = end.mutable_block_end();
  m->set_chain(chain);
  m->set_number(number);
  m->set_hash(b.hash);
  m->set_timestamp(1'700'000'000 + 12 * number);
  m->set_finalized(number > 6 ? number - 6 : 0);
  b.envelopes.push_back(std::move(end));
  return b;
}

}  // namespace

ReorgHistory MakeReorgHistory(uint32_t seed, int blocks, int tokens, const std::string& chain) {
  std::mt19937 rng(seed);
  ReorgHistory h;
  std::vector<Block> canonical;
  uint64_t finalized = 0;
  for (int built = 0; built < blocks;) {
    uint64_t head = canonical.empty() ? 0 : canonical.back().number;
    uint64_t revertible = head - finalized;
    if (built + 1 < blocks && revertible > 0 && rng() % 6 == 0) {
      uint64_t depth = std::min<uint64_t>(revertible, 1 + rng() % 5);
      for (uint64_t d = 0; d < depth; ++d) {
        const Block& b = canonical.back();
        v1::Envelope env;
        env.set_id(fmt::format("{}/{}/reverted", chain, b.number));
        auto* m = env.mutable_block_reverted();
        m->set_chain(chain);
        m->set_number(b.number);
        m->set_hash(b.hash);
        m->set_ancestor(head - depth);
        h.with_reorgs.push_back(std::move(env));
        canonical.pop_back();
        ++h.reverted_blocks;
      }
      continue;
    }
    Block b = MakeBlock(rng, chain, head + 1, static_cast<uint64_t>(built), tokens);
    finalized = std::max(finalized, b.envelopes.back().block_end().finalized());
    for (const auto& env : b.envelopes) h.with_reorgs.push_back(env);
    canonical.push_back(std::move(b));
    ++built;
  }
  for (const Block& b : canonical) {
    for (const auto& env : b.envelopes) h.canonical.push_back(env);
  }
  return h;
}

std::string EventKey(const v1::Envelope& envelope) {
  if (envelope.has_erc721_transfer()) {
    const auto& t = envelope.erc721_transfer();
    return t.log().contract() + t.token_id();
  }
  if (envelope.has_erc1155_transfer_single()) {
    const auto& t = envelope.erc1155_transfer_single();
    return t.log().contract() + t.token_id();
  }
  return "";
}

}  // namespace chainflow::testing
