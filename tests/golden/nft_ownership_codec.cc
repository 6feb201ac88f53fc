#include "tests/golden/nft_ownership_codec.h"

#include <fmt/format.h>

#include "engine/core/hex.h"
#include "engine/core/u256.h"
#include "tests/golden/golden_file.h"

namespace chainflow::tests::golden {
namespace {

using core::Result;
using core::Status;

// The fields of one input line; every field must be used (typos fail).
class Fields {
 public:
  explicit Fields(std::map<std::string, std::string> fields) : fields_(std::move(fields)) {}

  std::string Get(const std::string& key, const std::string& fallback) {
    auto it = fields_.find(key);
    if (it == fields_.end()) return fallback;
    std::string value = it->second;
    fields_.erase(it);
    return value;
  }
  Result<std::string> Require(const std::string& key) {
    if (!fields_.count(key)) return core::InvalidArgumentError("missing field " + key);
    return Get(key, "");
  }
  Status CheckAllUsed() const {
    if (fields_.empty()) return Status::Ok();
    return core::InvalidArgumentError("unknown field " + fields_.begin()->first);
  }

 private:
  std::map<std::string, std::string> fields_;
};

std::string BytesOf(const std::vector<uint8_t>& v) { return std::string(v.begin(), v.end()); }

// "raw:0x..." is taken as-is (to build malformed records); otherwise hex is
// left-padded to `size` bytes, so "0xa11ce" is a 20-byte address.
Result<std::string> ParseFixed(const std::string& text, size_t size) {
  if (text.rfind("raw:", 0) == 0) {
    ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, core::FromHex(text.substr(4)));
    return BytesOf(bytes);
  }
  std::vector<uint8_t> out(size);
  RETURN_IF_ERROR(core::FromHexPadded(text, out));
  return BytesOf(out);
}

// Decimal, "0x" hex or "max" (2^256-1), as a 32-byte word; or "raw:0x...".
Result<std::string> ParseUint(const std::string& text) {
  if (text.rfind("raw:", 0) == 0) return ParseFixed(text, 32);
  core::U256 value;
  if (text == "max") {
    value = std::numeric_limits<core::U256>::max();
  } else if (text.rfind("0x", 0) == 0) {
    ASSIGN_OR_RETURN(value, core::U256FromHex(text));
  } else {
    ASSIGN_OR_RETURN(value, core::U256FromDecimal(text));
  }
  return core::U256ToBigEndianString(value);
}

Result<uint64_t> ParseU64(const std::string& text) {
  ASSIGN_OR_RETURN(core::U256 value, core::U256FromDecimal(text));
  if (value > std::numeric_limits<uint64_t>::max()) {
    return core::InvalidArgumentError(text + " exceeds uint64");
  }
  return static_cast<uint64_t>(value);
}

std::vector<std::string> SplitComma(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    parts.push_back(text.substr(start, comma - start));
    if (comma == std::string::npos) return parts;
    start = comma + 1;
  }
}

// chain, contract, block, log, ts, tx, tx_index, block_hash.
Result<v1::LogRef> ParseLog(Fields& f) {
  v1::LogRef log;
  log.set_chain(f.Get("chain", "mainnet"));
  ASSIGN_OR_RETURN(std::string contract, ParseFixed(f.Get("contract", "0xc0ffee"), 20));
  log.set_contract(contract);
  ASSIGN_OR_RETURN(uint64_t block, ParseU64(f.Get("block", "0")));
  log.set_block_number(block);
  ASSIGN_OR_RETURN(uint64_t index, ParseU64(f.Get("log", "0")));
  log.set_log_index(static_cast<uint32_t>(index));
  ASSIGN_OR_RETURN(uint64_t ts, ParseU64(f.Get("ts", "0")));
  log.set_block_timestamp(ts);
  ASSIGN_OR_RETURN(uint64_t tx_index, ParseU64(f.Get("tx_index", "0")));
  log.set_tx_index(static_cast<uint32_t>(tx_index));
  std::string tx = f.Get("tx", "");
  if (!tx.empty()) {
    ASSIGN_OR_RETURN(std::string hash, ParseFixed(tx, 32));
    log.set_tx_hash(hash);
  }
  std::string block_hash = f.Get("block_hash", "");
  if (!block_hash.empty()) {
    ASSIGN_OR_RETURN(std::string hash, ParseFixed(block_hash, 32));
    log.set_block_hash(hash);
  }
  std::string finalized = f.Get("finalized", "false");
  if (finalized != "true" && finalized != "false") {
    return core::InvalidArgumentError("finalized must be true or false");
  }
  log.set_finalized(finalized == "true");
  return log;
}

std::string EventId(const v1::LogRef& log) {
  return fmt::format("{}/{}/{}", log.chain(), log.block_number(), log.log_index());
}

// Fills from/to (and operator) of any transfer message.
template <typename Msg>
Status ParseParties(Fields& f, Msg* msg) {
  ASSIGN_OR_RETURN(std::string from, ParseFixed(f.Get("from", "0x0"), 20));
  ASSIGN_OR_RETURN(std::string to, ParseFixed(f.Get("to", "0x0"), 20));
  msg->set_from(from);
  msg->set_to(to);
  return Status::Ok();
}

Result<std::vector<GoldenInput>> ParseKind(const std::string& kind, Fields& f) {
  GoldenInput in;
  v1::Envelope& env = in.envelope;
  if (kind == "erc721" || kind == "erc20" || kind == "erc1155_single") {
    ASSIGN_OR_RETURN(v1::LogRef log, ParseLog(f));
    in.chain = log.chain();
    env.set_id(EventId(log));
    if (kind == "erc721") {
      auto* t = env.mutable_erc721_transfer();
      *t->mutable_log() = log;
      RETURN_IF_ERROR(ParseParties(f, t));
      ASSIGN_OR_RETURN(std::string token, f.Require("token"));
      ASSIGN_OR_RETURN(std::string id, ParseUint(token));
      t->set_token_id(id);
    } else if (kind == "erc20") {
      auto* t = env.mutable_erc20_transfer();
      *t->mutable_log() = log;
      RETURN_IF_ERROR(ParseParties(f, t));
      ASSIGN_OR_RETURN(std::string value, ParseUint(f.Get("value", "0")));
      t->set_value(value);
    } else {
      auto* t = env.mutable_erc1155_transfer_single();
      *t->mutable_log() = log;
      RETURN_IF_ERROR(ParseParties(f, t));
      ASSIGN_OR_RETURN(std::string op, ParseFixed(f.Get("operator", "0x0"), 20));
      t->set_operator_(op);
      ASSIGN_OR_RETURN(std::string token, f.Require("token"));
      ASSIGN_OR_RETURN(std::string id, ParseUint(token));
      t->set_token_id(id);
      ASSIGN_OR_RETURN(std::string value_text, f.Require("value"));
      ASSIGN_OR_RETURN(std::string value, ParseUint(value_text));
      t->set_value(value);
    }
  } else if (kind == "erc1155_batch") {
    ASSIGN_OR_RETURN(v1::LogRef log, ParseLog(f));
    v1::Erc1155TransferBatch proto;
    *proto.mutable_log() = log;
    RETURN_IF_ERROR(ParseParties(f, &proto));
    ASSIGN_OR_RETURN(std::string op, ParseFixed(f.Get("operator", "0x0"), 20));
    proto.set_operator_(op);
    ASSIGN_OR_RETURN(std::string ids_text, f.Require("ids"));
    ASSIGN_OR_RETURN(std::string values_text, f.Require("values"));
    std::vector<std::string> ids = SplitComma(ids_text), values = SplitComma(values_text);
    if (ids.size() != values.size()) {
      return core::InvalidArgumentError("ids and values differ in length");
    }
    RETURN_IF_ERROR(f.CheckAllUsed());
    std::vector<GoldenInput> elements;
    for (size_t i = 0; i < ids.size(); ++i) {
      GoldenInput element{log.chain(), {}};
      element.envelope.set_id(fmt::format("{}/{}", EventId(log), i));
      auto* t = element.envelope.mutable_erc1155_transfer_batch();
      *t = proto;
      ASSIGN_OR_RETURN(std::string id, ParseUint(ids[i]));
      ASSIGN_OR_RETURN(std::string value, ParseUint(values[i]));
      t->set_token_id(id);
      t->set_value(value);
      t->set_index(static_cast<uint32_t>(i));
      t->set_count(static_cast<uint32_t>(ids.size()));
      elements.push_back(std::move(element));
    }
    return elements;
  } else if (kind == "block_end" || kind == "block_reverted") {
    in.chain = f.Get("chain", "mainnet");
    ASSIGN_OR_RETURN(std::string number_text, f.Require("number"));
    ASSIGN_OR_RETURN(uint64_t number, ParseU64(number_text));
    std::string hash_text = f.Get("hash", "");
    std::string hash;
    if (!hash_text.empty()) {
      ASSIGN_OR_RETURN(hash, ParseFixed(hash_text, 32));
    }
    env.set_id(fmt::format("{}/{}/{}", in.chain, number, kind == "block_end" ? "end" : "reverted"));
    if (kind == "block_end") {
      auto* m = env.mutable_block_end();
      m->set_chain(in.chain);
      m->set_number(number);
      m->set_hash(hash);
      ASSIGN_OR_RETURN(uint64_t ts, ParseU64(f.Get("ts", "0")));
      m->set_timestamp(ts);
      ASSIGN_OR_RETURN(uint64_t finalized, ParseU64(f.Get("finalized", "0")));
      m->set_finalized(finalized);
    } else {
      auto* m = env.mutable_block_reverted();
      m->set_chain(in.chain);
      m->set_number(number);
      m->set_hash(hash);
      ASSIGN_OR_RETURN(uint64_t ancestor, ParseU64(f.Get("ancestor", "0")));
      m->set_ancestor(ancestor);
    }
  } else if (kind == "no_payload") {
    env.set_id(f.Get("id", "poison"));
  } else if (kind == "wrong_payload") {
    env.set_id(f.Get("id", "poison"));
    env.mutable_owner_changed();
  } else {
    return core::InvalidArgumentError("unknown input kind " + kind);
  }
  std::string id = f.Get("id", "");
  if (!id.empty()) env.set_id(id);
  if (f.Get("no_log", "false") == "true") {
    if (env.has_erc721_transfer()) env.mutable_erc721_transfer()->clear_log();
    if (env.has_erc1155_transfer_single()) env.mutable_erc1155_transfer_single()->clear_log();
    if (env.has_erc20_transfer()) env.mutable_erc20_transfer()->clear_log();
  }
  RETURN_IF_ERROR(f.CheckAllUsed());
  return std::vector<GoldenInput>{std::move(in)};
}

// "0x" hex without leading zero digits ("0x0" for zero).
std::string CompactHex(const std::string& bytes) {
  std::string hex = core::ToHex(bytes).substr(2);
  size_t first = hex.find_first_not_of('0');
  return "0x" + (first == std::string::npos ? "0" : hex.substr(first));
}

// Compact hex when `bytes` has the expected size, "none" when empty (a
// retraction's absent previous owner), else "raw:<hex>".
std::string Fixed(const std::string& bytes, size_t size) {
  if (bytes.empty()) return "none";
  return bytes.size() == size ? CompactHex(bytes) : "raw:" + core::ToHex(bytes);
}

// " retracted=true reverted_block=N[ reverted_block_hash=H]" for retractions.
std::string Retraction(bool retracted, uint64_t block, const std::string& hash) {
  if (!retracted) return "";
  std::string out = fmt::format(" retracted=true reverted_block={}", block);
  if (!hash.empty()) out += " reverted_block_hash=" + Fixed(hash, 32);
  return out;
}

std::string Uint(const std::string& bytes) {
  if (bytes.size() != 32) return "raw:" + core::ToHex(bytes);
  return core::U256ToDecimal(core::U256FromBigEndian(bytes).value());
}

std::string RenderLog(const v1::LogRef& log) {
  std::string out = fmt::format("chain={} contract={} block={} log={} ts={}", log.chain(),
                                Fixed(log.contract(), 20), log.block_number(), log.log_index(),
                                log.block_timestamp());
  if (!log.tx_hash().empty()) out += " tx=" + Fixed(log.tx_hash(), 32);
  if (log.tx_index() != 0) out += fmt::format(" tx_index={}", log.tx_index());
  if (!log.block_hash().empty()) out += " block_hash=" + Fixed(log.block_hash(), 32);
  return out;
}

std::string U64Be(std::string_view bytes) {
  uint64_t v = 0;
  for (char c : bytes) v = (v << 8) | static_cast<uint8_t>(c);
  return std::to_string(v);
}

std::string RenderEntry(const std::string& key, const std::string& value);

// The runtime's undo record layout (engine/runtime/README.md), decoded here
// independently: "\0undo/" + chain length (1) + chain + block (8 BE) + seq
// (4 BE) -> version 1 + block timestamp (8 BE) + present (1) + key length
// (4 BE) + key + prior value; "\0final/<chain>" -> block (8 BE).
std::string RenderRuntimeEntry(const std::string& key, const std::string& value) {
  const std::string undo("\0undo/", 6), final("\0final/", 7);
  if (key.rfind(final, 0) == 0 && value.size() == 8) {
    return fmt::format("finalized chain={} block={}", key.substr(final.size()), U64Be(value));
  }
  if (key.rfind(undo, 0) != 0 || key.size() < 7) return "";
  size_t chain_size = static_cast<uint8_t>(key[6]);
  if (key.size() != 7 + chain_size + 12 || value.size() < 14 || value[0] != 1) return "";
  size_t inner_size = std::stoull(U64Be(value.substr(10, 4)));
  if (value.size() < 14 + inner_size) return "";
  std::string inner = value.substr(14, inner_size);
  std::string out = fmt::format("undo chain={} block={} seq={} ts={} ", key.substr(7, chain_size),
                                U64Be(key.substr(7 + chain_size, 8)),
                                U64Be(key.substr(15 + chain_size, 4)), U64Be(value.substr(1, 8)));
  if (value[9] == 0) {
    // Render the key with a placeholder value of its kind, then mark it absent.
    std::string placeholder = inner[0] == 'o' ? std::string("\1") + std::string(64, '\0')
                              : inner[0] == 'b' ? std::string(32, '\0')
                                                : std::string(8, '\0');
    std::string line = RenderEntry(inner, placeholder);
    if (line.empty()) return "";
    return out + "absent " + line.substr(0, line.find(inner[0] == 'b' ? " balance=" : " owner=",
                                                      line.find("token=")));
  }
  std::string line = RenderEntry(inner, value.substr(14 + inner_size));
  return line.empty() ? "" : out + "prior " + line;
}

// Decodes one state entry; nullopt-like "" when the layout does not match.
std::string RenderEntry(const std::string& key, const std::string& value) {
  if (!key.empty() && key[0] == '\0') return RenderRuntimeEntry(key, value);
  if (key.size() < 3 || key[1] != '/') return "";
  size_t slash = key.find('/', 2);
  std::string chain = key.substr(2, slash == std::string::npos ? std::string::npos : slash - 2);
  std::string rest = slash == std::string::npos ? "" : key.substr(slash + 1);
  if (key[0] == 'h' && slash == std::string::npos && value.size() == 8) {
    return fmt::format("head chain={} block={}", chain, U64Be(value));
  }
  if (key[0] == 'o' && rest.size() == 52 && value.size() == 65 && value[0] == 1) {
    std::string out = fmt::format(
        "owner chain={} contract={} token={} owner={} block={} log={}", chain,
        Fixed(rest.substr(0, 20), 20), Uint(rest.substr(20, 32)), Fixed(value.substr(1, 20), 20),
        U64Be(value.substr(21, 8)), U64Be(value.substr(29, 4)));
    std::string tx = value.substr(33, 32);
    if (tx != std::string(32, '\0')) out += " tx=" + Fixed(tx, 32);
    return out;
  }
  if (key[0] == 'b' && rest.size() == 72 && value.size() == 32) {
    return fmt::format("balance chain={} contract={} token={} holder={} balance={}", chain,
                       Fixed(rest.substr(0, 20), 20), Uint(rest.substr(20, 32)),
                       Fixed(rest.substr(52, 20), 20), Uint(value));
  }
  return "";
}

}  // namespace

Result<std::vector<GoldenInput>> ParseNftInput(const std::string& line) {
  ASSIGN_OR_RETURN(FieldLine split, SplitFields(line));
  Fields fields(std::move(split.fields));
  return ParseKind(split.kind, fields);
}

std::string RenderNftOutput(const engine::runtime::OutputEvent& event,
                            const std::string& topic_prefix) {
  const v1::Envelope& env = event.envelope;
  std::string out;
  std::string expected_type;
  const v1::LogRef* log = nullptr;
  if (env.has_owner_changed()) {
    const auto& m = env.owner_changed();
    expected_type = "chainflow.nft.OwnerChanged";
    log = &m.log();
    out = fmt::format("owner_changed key={} {} token={} previous_owner={} owner={}", event.key,
                      RenderLog(m.log()), Uint(m.token_id()), Fixed(m.previous_owner(), 20),
                      Fixed(m.owner(), 20));
    out += Retraction(m.retracted(), m.reverted_block(), m.reverted_block_hash());
  } else if (env.has_erc1155_balance_changed()) {
    const auto& m = env.erc1155_balance_changed();
    expected_type = "chainflow.nft.Erc1155BalanceChanged";
    log = &m.log();
    out = fmt::format(
        "balance_changed key={} {} token={} holder={} previous_balance={} balance={}",
        event.key, RenderLog(m.log()), Uint(m.token_id()), Fixed(m.owner(), 20),
        Uint(m.previous_balance()), Uint(m.balance()));
    out += Retraction(m.retracted(), m.reverted_block(), m.reverted_block_hash());
  } else {
    out = fmt::format("other key={} envelope={{{}}}", event.key, env.ShortDebugString());
  }
  if (event.topic != topic_prefix + ".nft.ownership") out += " topic=" + event.topic;
  if (event.ce_type != expected_type) out += " type=" + event.ce_type;
  if (log == nullptr || event.event_time != static_cast<int64_t>(log->block_timestamp())) {
    out += fmt::format(" time={}", event.event_time);
  }
  if (!env.id().empty()) out += " id=" + env.id();
  return out;
}

std::vector<std::string> RenderNftState(const std::map<std::string, std::string>& state) {
  std::vector<std::string> lines;
  for (const auto& [key, value] : state) {
    std::string line = RenderEntry(key, value);
    if (line.empty()) line = "raw key=" + core::ToHex(key) + " value=" + core::ToHex(value);
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace chainflow::tests::golden
