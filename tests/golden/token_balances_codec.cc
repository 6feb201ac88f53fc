#include "tests/golden/token_balances_codec.h"

#include <fmt/format.h>

#include "engine/core/hex.h"
#include "engine/core/u256.h"
#include "tests/golden/golden_file.h"
#include "tests/golden/nft_ownership_codec.h"

namespace chainflow::tests::golden {
namespace {

using core::Result;

// Hex left-padded to `size` bytes, or "raw:0x..." verbatim.
Result<std::string> Bytes(const std::string& text, size_t size) {
  if (text.rfind("raw:", 0) == 0) {
    ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, core::FromHex(text.substr(4)));
    return std::string(bytes.begin(), bytes.end());
  }
  std::vector<uint8_t> bytes(size);
  RETURN_IF_ERROR(core::FromHexPadded(text, bytes));
  return std::string(bytes.begin(), bytes.end());
}

Result<std::string> Amount(const std::string& text) {
  if (text.rfind("raw:", 0) == 0) return Bytes(text, 32);
  if (text == "max") {
    return core::U256ToBigEndianString(std::numeric_limits<core::U256>::max());
  }
  ASSIGN_OR_RETURN(core::U256 value, core::U256FromDecimal(text));
  return core::U256ToBigEndianString(value);
}

// balance_delta / supply_delta: chain, token (also the log's contract
// unless contract= differs), block, log, ts, finalized, account, amount,
// dir, partition (source_partition), retracted.
Result<TokenGoldenInput> ParseDelta(const FieldLine& line) {
  std::map<std::string, std::string> f = line.fields;
  auto take = [&f](const std::string& key, const std::string& fallback) {
    auto it = f.find(key);
    if (it == f.end()) return fallback;
    std::string v = it->second;
    f.erase(it);
    return v;
  };
  TokenGoldenInput in;
  in.deltas_stage = true;
  v1::LogRef log;
  log.set_chain(take("chain", "mainnet"));
  std::string token_text = take("token", "0x70cc");
  ASSIGN_OR_RETURN(std::string token, Bytes(token_text, 20));
  ASSIGN_OR_RETURN(std::string contract, Bytes(take("contract", token_text), 20));
  log.set_contract(contract);
  log.set_block_number(std::stoull(take("block", "0")));
  log.set_log_index(static_cast<uint32_t>(std::stoul(take("log", "0"))));
  log.set_block_timestamp(std::stoull(take("ts", "0")));
  log.set_finalized(take("finalized", "false") == "true");
  const uint32_t partition = static_cast<uint32_t>(std::stoul(take("partition", "0")));
  const bool retracted = take("retracted", "false") == "true";
  ASSIGN_OR_RETURN(std::string amount, Amount(take("amount", "0")));
  std::string dir = take("dir", "");
  in.envelope.set_id(take("id", "delta"));
  if (line.kind == "balance_delta") {
    auto* d = in.envelope.mutable_balance_delta();
    *d->mutable_log() = log;
    d->set_token(token);
    ASSIGN_OR_RETURN(std::string account, Bytes(take("account", "0xa11ce"), 20));
    d->set_account(account);
    d->set_amount(amount);
    d->set_direction(dir == "credit"  ? v1::BalanceDelta::DIRECTION_CREDIT
                     : dir == "debit" ? v1::BalanceDelta::DIRECTION_DEBIT
                                      : v1::BalanceDelta::DIRECTION_UNSPECIFIED);
    d->set_source_partition(partition);
    d->set_retracted(retracted);
  } else {
    auto* d = in.envelope.mutable_supply_delta();
    *d->mutable_log() = log;
    d->set_token(token);
    d->set_amount(amount);
    d->set_direction(dir == "mint"   ? v1::SupplyDelta::DIRECTION_MINT
                     : dir == "burn" ? v1::SupplyDelta::DIRECTION_BURN
                                     : v1::SupplyDelta::DIRECTION_UNSPECIFIED);
    d->set_source_partition(partition);
    d->set_retracted(retracted);
  }
  if (!f.empty()) return core::InvalidArgumentError("unknown field " + f.begin()->first);
  return in;
}

std::string CompactHex(const std::string& bytes) {
  std::string hex = core::ToHex(bytes).substr(2);
  size_t first = hex.find_first_not_of('0');
  return "0x" + (first == std::string::npos ? "0" : hex.substr(first));
}

std::string Fixed(const std::string& bytes, size_t size) {
  return bytes.size() == size ? CompactHex(bytes) : "raw:" + core::ToHex(bytes);
}

std::string Uint(const std::string& bytes) {
  if (bytes.size() != 32) return "raw:" + core::ToHex(bytes);
  return core::U256ToDecimal(core::U256FromBigEndian(bytes).value());
}

std::string RenderLog(const v1::LogRef& log) {
  return fmt::format("chain={} contract={} block={} log={} ts={}", log.chain(),
                     Fixed(log.contract(), 20), log.block_number(), log.log_index(),
                     log.block_timestamp());
}

uint64_t U64Be(std::string_view bytes) {
  uint64_t v = 0;
  for (char c : bytes) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

// "-N" for a negative net; "" when `value` is not a 42-byte record.
std::string AmountRecord(const std::string& value) {
  if (value.size() != 42 || value[0] != 1 || (value[1] != 0 && value[1] != 1)) return "";
  return fmt::format("net={}{} block={}", value[1] == 1 ? "-" : "", Uint(value.substr(2, 32)),
                     U64Be(value.substr(34, 8)));
}

// "balance token=T account=A" / "supply token=T" for a record ref (kind
// letter + token [+ account]); "" otherwise.
std::string RenderRef(const std::string& ref) {
  if (ref.size() == 41 && ref[0] == 'a') {
    return fmt::format("balance token={} account={}", Fixed(ref.substr(1, 20), 20),
                       Fixed(ref.substr(21), 20));
  }
  if (ref.size() == 21 && ref[0] == 's') return "supply token=" + Fixed(ref.substr(1), 20);
  return "";
}

// The reorg bookkeeping under '\0' (README.md "Reorgs"): "\0pending/<chain>/"
// + ref, "\0unfinal/<chain>/" + partition + block -> refs,
// "\0unfinal_blocks/<chain>/" + partition -> blocks.
std::string RenderReorgEntry(const std::string& key, const std::string& value) {
  auto chain_and_rest = [&key](size_t skip) -> std::pair<std::string, std::string> {
    size_t slash = key.find('/', skip);
    if (slash == std::string::npos) return {"", ""};
    return {key.substr(skip, slash - skip), key.substr(slash + 1)};
  };
  const std::string pending("\0pending/", 9), unfinal("\0unfinal/", 9),
      blocks("\0unfinal_blocks/", 16);
  if (key.rfind(pending, 0) == 0) {
    auto [chain, ref] = chain_and_rest(pending.size());
    if (value.size() < 11) return "";
    size_t n = U64Be(value.substr(9, 2));
    if (value.size() != 11 + 16 * n || RenderRef(ref).empty()) return "";
    std::string out = fmt::format("pending chain={} {} final_block={} final_delta={} deltas=[",
                                  chain, RenderRef(ref), U64Be(value.substr(0, 8)),
                                  value[8] == 1 ? "true" : "false");
    for (size_t i = 0; i < n; ++i) {
      std::string e = value.substr(11 + 16 * i, 16);
      out += fmt::format("{}block {} partition {} x{}", i == 0 ? "" : ", ", U64Be(e.substr(0, 8)),
                         U64Be(e.substr(8, 4)), U64Be(e.substr(12, 4)));
    }
    return out + "]";
  }
  if (key.rfind(blocks, 0) == 0) {
    auto [chain, rest] = chain_and_rest(blocks.size());
    if (rest.size() != 4 || value.size() % 8 != 0) return "";
    std::string out =
        fmt::format("unfinalized_blocks chain={} partition={} blocks=[", chain, U64Be(rest));
    for (size_t i = 0; i < value.size(); i += 8) {
      out += fmt::format("{}{}", i == 0 ? "" : ",", U64Be(value.substr(i, 8)));
    }
    return out + "]";
  }
  if (key.rfind(unfinal, 0) == 0) {
    auto [chain, rest] = chain_and_rest(unfinal.size());
    if (rest.size() != 12) return "";
    std::string out = fmt::format("unfinalized chain={} partition={} block={} records=[", chain,
                                  U64Be(rest.substr(0, 4)), U64Be(rest.substr(4, 8)));
    for (size_t pos = 0; pos < value.size();) {
      size_t size = value[pos] == 'a' ? 41 : value[pos] == 's' ? 21 : 0;
      if (size == 0 || pos + size > value.size()) return "";
      out += (pos == 0 ? "" : ", ") + RenderRef(value.substr(pos, size));
      pos += size;
    }
    return out + "]";
  }
  return "";
}

std::string RenderEntry(const std::string& key, const std::string& value) {
  if (!key.empty() && key[0] == '\0') return RenderReorgEntry(key, value);
  if (key.size() < 3 || key[1] != '/') return "";
  size_t slash = key.find('/', 2);
  std::string chain = key.substr(2, slash == std::string::npos ? std::string::npos : slash - 2);
  std::string rest = slash == std::string::npos ? "" : key.substr(slash + 1);
  if (key[0] == 'h' && slash == std::string::npos && value.size() == 8) {
    return fmt::format("head chain={} block={}", chain, U64Be(value));
  }
  std::string amount = AmountRecord(value);
  if (amount.empty()) return "";
  if (key[0] == 'a' && rest.size() == 40) {
    return fmt::format("balance chain={} token={} account={} {}", chain,
                       Fixed(rest.substr(0, 20), 20), Fixed(rest.substr(20), 20), amount);
  }
  if (key[0] == 's' && rest.size() == 20) {
    return fmt::format("supply chain={} token={} {}", chain, Fixed(rest, 20), amount);
  }
  return "";
}

// The splitter's entries (README.md "token_splitter"): "p/<chain>" pending
// block, "\0retained/<chain>/" + block + log index -> partition +
// Erc20Transfer, "\0retained_from/<chain>" lowest retained block, and the
// runtime's undo records, which are shown by key only.
std::string RenderSplitterEntry(const std::string& key, const std::string& value) {
  const std::string retained("\0retained/", 10), from("\0retained_from/", 15);
  if (key.rfind("p/", 0) == 0 && value.size() == 8) {
    return fmt::format("splitter_pending {} block={}", key, U64Be(value));
  }
  if (key.rfind(from, 0) == 0 && value.size() == 8) {
    return fmt::format("splitter_retained_from chain={} block={}", key.substr(from.size()),
                       U64Be(value));
  }
  if (key.rfind(retained, 0) == 0 && key.size() > retained.size() + 13 && value.size() >= 4) {
    std::string chain = key.substr(retained.size(), key.size() - retained.size() - 13);
    v1::Erc20Transfer t;
    if (!t.ParseFromString(value.substr(4))) return "";
    return fmt::format("splitter_retained chain={} block={} log={} partition={} from={} to={} "
                       "value={}",
                       chain, U64Be(key.substr(key.size() - 12, 8)),
                       U64Be(key.substr(key.size() - 4)), U64Be(value.substr(0, 4)),
                       Fixed(t.from(), 20), Fixed(t.to(), 20), Uint(t.value()));
  }
  const std::string undo("\0undo/", 6), final("\0final/", 7);
  if (key.rfind(final, 0) == 0 && value.size() == 8) {
    return fmt::format("splitter_finalized chain={} block={}", key.substr(final.size()),
                       U64Be(value));
  }
  if (key.rfind(undo, 0) == 0 && key.size() > 7) {
    size_t chain_size = static_cast<uint8_t>(key[6]);
    if (key.size() != 7 + chain_size + 12) return "";
    return fmt::format("splitter_undo chain={} block={} seq={}", key.substr(7, chain_size),
                       U64Be(key.substr(7 + chain_size, 8)), U64Be(key.substr(15 + chain_size, 4)));
  }
  return "";
}

}  // namespace

std::vector<std::string> RenderSplitterState(const std::map<std::string, std::string>& state) {
  std::vector<std::string> lines;
  for (const auto& [key, value] : state) {
    std::string line = RenderSplitterEntry(key, value);
    if (line.empty()) {
      line = "splitter_raw key=" + core::ToHex(key) + " value=" + core::ToHex(value);
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

Result<std::vector<TokenGoldenInput>> ParseTokenInput(const std::string& line) {
  ASSIGN_OR_RETURN(FieldLine split, SplitFields(line));
  if (split.kind == "balance_delta" || split.kind == "supply_delta") {
    ASSIGN_OR_RETURN(TokenGoldenInput in, ParseDelta(split));
    return std::vector<TokenGoldenInput>{std::move(in)};
  }
  ASSIGN_OR_RETURN(std::vector<GoldenInput> events, ParseNftInput(line));
  std::vector<TokenGoldenInput> out;
  for (GoldenInput& e : events) out.push_back({false, std::move(e.envelope)});
  return out;
}

std::string RenderTokenOutput(const engine::runtime::OutputEvent& event,
                              const std::string& topic_prefix) {
  const v1::Envelope& env = event.envelope;
  std::string out, type, topic = topic_prefix + ".token.deltas";
  const v1::LogRef* log = nullptr;
  int64_t time = 0;
  if (env.has_balance_delta()) {
    const auto& m = env.balance_delta();
    type = "chainflow.token.BalanceDelta";
    log = &m.log();
    std::string dir = m.direction() == v1::BalanceDelta::DIRECTION_CREDIT  ? "credit"
                      : m.direction() == v1::BalanceDelta::DIRECTION_DEBIT ? "debit"
                                                                           : "unspecified";
    out = fmt::format("{} key={} {} token={} account={} amount={}", dir, event.key,
                      RenderLog(m.log()), Fixed(m.token(), 20), Fixed(m.account(), 20),
                      Uint(m.amount()));
    if (m.retracted()) out += " retracted=true";
    if (m.source_partition() != 0) out += fmt::format(" partition={}", m.source_partition());
  } else if (env.has_supply_delta()) {
    const auto& m = env.supply_delta();
    type = "chainflow.token.SupplyDelta";
    log = &m.log();
    out = fmt::format("{} key={} {} token={} amount={}",
                      m.direction() == v1::SupplyDelta::DIRECTION_MINT ? "mint" : "burn",
                      event.key, RenderLog(m.log()), Fixed(m.token(), 20), Uint(m.amount()));
    if (m.retracted()) out += " retracted=true";
    if (m.source_partition() != 0) out += fmt::format(" partition={}", m.source_partition());
  } else if (env.has_block_end() || env.has_block_reverted()) {
    bool end = env.has_block_end();
    type = end ? "chainflow.evm.BlockEnd" : "chainflow.evm.BlockReverted";
    out = end ? fmt::format("forward key={} block_end chain={} number={}", event.key,
                            env.block_end().chain(), env.block_end().number())
              : fmt::format("forward key={} block_reverted chain={} number={}", event.key,
                            env.block_reverted().chain(), env.block_reverted().number());
    time = end ? static_cast<int64_t>(env.block_end().timestamp()) : 0;
    if (event.all_partitions) out += " all_partitions=true";
  } else if (env.has_token_balance_changed()) {
    const auto& m = env.token_balance_changed();
    type = "chainflow.token.TokenBalanceChanged";
    topic = topic_prefix + ".token.balances";
    log = &m.log();
    out = fmt::format("balance_changed key={} {} token={} account={} previous={} balance={} at={}",
                      event.key, RenderLog(m.log()), Fixed(m.token(), 20), Fixed(m.account(), 20),
                      Uint(m.previous_balance()), Uint(m.balance()), m.block_number());
    if (m.retracted()) out += fmt::format(" retracted=true reverted_block={}", m.reverted_block());
    if (m.removed()) out += " removed=true";
  } else if (env.has_total_supply_changed()) {
    const auto& m = env.total_supply_changed();
    type = "chainflow.token.TotalSupplyChanged";
    topic = topic_prefix + ".token.balances";
    log = &m.log();
    out = fmt::format("supply_changed key={} {} token={} previous={} total={} at={}", event.key,
                      RenderLog(m.log()), Fixed(m.token(), 20),
                      Uint(m.previous_total_supply()), Uint(m.total_supply()), m.block_number());
    if (m.retracted()) out += fmt::format(" retracted=true reverted_block={}", m.reverted_block());
    if (m.removed()) out += " removed=true";
  } else {
    return fmt::format("other key={} envelope={{{}}}", event.key, env.ShortDebugString());
  }
  if (log != nullptr) time = static_cast<int64_t>(log->block_timestamp());
  if (event.topic != topic) out += " topic=" + event.topic;
  if (event.ce_type != type) out += " type=" + event.ce_type;
  if (event.event_time != time) out += fmt::format(" time={}", event.event_time);
  if (!env.id().empty()) out += " id=" + env.id();
  if (event.all_partitions && log != nullptr) out += " all_partitions=true";
  return out;
}

std::vector<std::string> RenderTokenState(const std::map<std::string, std::string>& state) {
  std::vector<std::string> lines;
  for (const auto& [key, value] : state) {
    std::string line = RenderEntry(key, value);
    if (line.empty()) line = "raw key=" + core::ToHex(key) + " value=" + core::ToHex(value);
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace chainflow::tests::golden
