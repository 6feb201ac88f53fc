#include "tests/golden/intents_codec.h"

#include <limits>

#include <fmt/format.h>

#include "engine/core/hex.h"
#include "engine/core/u256.h"
#include "tests/golden/golden_file.h"

namespace chainflow::tests::golden {
namespace {

using core::Result;
namespace intents = engine::processors::intents;

// Consumes fields of one line; leftovers are an error (a typo tests nothing).
class Fields {
 public:
  explicit Fields(std::map<std::string, std::string> f) : f_(std::move(f)) {}
  std::string Take(const std::string& key, const std::string& fallback) {
    auto it = f_.find(key);
    if (it == f_.end()) return fallback;
    std::string v = it->second;
    f_.erase(it);
    return v;
  }
  uint64_t TakeU64(const std::string& key, uint64_t fallback) {
    std::string v = Take(key, "");
    return v.empty() ? fallback : std::stoull(v);
  }
  core::Status Done() const {
    if (f_.empty()) return core::Status::Ok();
    return core::InvalidArgumentError("unknown field " + f_.begin()->first);
  }

 private:
  std::map<std::string, std::string> f_;
};

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
  if (text == "max") return core::U256ToBigEndianString(std::numeric_limits<core::U256>::max());
  ASSIGN_OR_RETURN(core::U256 value, core::U256FromDecimal(text));
  return core::U256ToBigEndianString(value);
}

// id=7 -> "000...07" (32 hex digits); raw:... verbatim.
std::string IntentId(const std::string& text) {
  if (text.rfind("raw:", 0) == 0) return text.substr(4);
  return std::string(32 - std::min<size_t>(32, text.size()), '0') + text;
}

std::string ShortId(const std::string& id) {
  size_t first = id.find_first_not_of('0');
  return first == std::string::npos ? "0" : id.substr(first);
}

std::string CompactHex(std::string_view bytes) {
  std::string hex = core::ToHex(std::string(bytes)).substr(2);
  size_t first = hex.find_first_not_of('0');
  return "0x" + (first == std::string::npos ? "0" : hex.substr(first));
}

std::string Uint(std::string_view bytes) {
  if (bytes.size() != 32) return "raw:" + core::ToHex(std::string(bytes));
  return core::U256ToDecimal(core::U256FromBigEndian(bytes).value());
}

uint64_t U64Be(std::string_view bytes) {
  uint64_t v = 0;
  for (char c : bytes) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

std::string Signed(std::string_view sign_and_magnitude) {
  return (sign_and_magnitude[0] == 1 ? "-" : "") + Uint(sign_and_magnitude.substr(1, 32));
}

const char* StatusText(v1::IntentStatus s) {
  switch (s) {
    case v1::INTENT_STATUS_SUBMITTED: return "submitted";
    case v1::INTENT_STATUS_APPROVED: return "approved";
    case v1::INTENT_STATUS_REJECTED: return "rejected";
    case v1::INTENT_STATUS_EXPIRED: return "expired";
    case v1::INTENT_STATUS_SETTLED: return "settled";
    default: return "none";
  }
}

std::string RenderIntent(const v1::IntentStatusChanged& c) {
  std::string line = fmt::format(
      "id={} status={} prev={} kind={} payer={} payee={} token={} amount={} at={} decided={} "
      "expires={} epoch={}",
      ShortId(c.intent_id()), StatusText(c.status()), StatusText(c.previous_status()),
      c.kind() == v1::INTENT_KIND_CLAP ? "clap" : "gift", CompactHex(c.payer()),
      CompactHex(c.payee()), CompactHex(c.token()), Uint(c.amount()), c.submitted_at(),
      c.decided_at(), c.expires_at(), c.epoch());
  if (c.chain() != "mainnet") line += " chain=" + c.chain();
  if (!c.available().empty()) line += " available=" + Uint(c.available());
  if (!c.memo().empty()) line += " memo=" + c.memo();
  if (!c.reason().empty()) line += " reason=\"" + c.reason() + "\"";
  return line;
}

Result<IntentsGoldenInput> ParseRecord(const FieldLine& line, Fields& f) {
  IntentsGoldenInput in;
  in.envelope.set_id(f.Take("id_envelope", line.kind));
  if (line.kind == "delta") {
    in.topic = "cf.token.deltas";
    v1::LogRef log;
    log.set_chain(f.Take("chain", "mainnet"));
    ASSIGN_OR_RETURN(std::string token, Bytes(f.Take("token", "0x70cc"), 20));
    log.set_contract(token);
    log.set_block_number(f.TakeU64("block", 1));
    log.set_log_index(static_cast<uint32_t>(f.TakeU64("log", 0)));
    log.set_block_timestamp(f.TakeU64("ts", 0));
    log.set_finalized(f.Take("finalized", "true") == "true");  // history: no undo records
    auto* d = in.envelope.mutable_balance_delta();
    *d->mutable_log() = log;
    d->set_token(token);
    ASSIGN_OR_RETURN(std::string account, Bytes(f.Take("account", "0xa11ce"), 20));
    d->set_account(account);
    ASSIGN_OR_RETURN(std::string amount, Amount(f.Take("amount", "0")));
    d->set_amount(amount);
    std::string dir = f.Take("dir", "credit");
    d->set_direction(dir == "credit"  ? v1::BalanceDelta::DIRECTION_CREDIT
                     : dir == "debit" ? v1::BalanceDelta::DIRECTION_DEBIT
                                      : v1::BalanceDelta::DIRECTION_UNSPECIFIED);
    d->set_source_partition(static_cast<uint32_t>(f.TakeU64("partition", 0)));
    d->set_retracted(f.Take("retracted", "false") == "true");
    in.key = "account";
  } else if (line.kind == "block_end") {
    in.topic = "cf.token.deltas";
    std::string chain = f.Take("chain", "mainnet");
    in.key = f.Take("key", fmt::format("{}/{}", chain, f.Take("upstream", "0")));
    auto* m = in.envelope.mutable_block_end();
    m->set_chain(chain);
    m->set_number(f.TakeU64("number", 1));
    m->set_timestamp(f.TakeU64("ts", 0));
    // History markers by default: the block is final itself.
    m->set_finalized(f.TakeU64("finalized", m->number()));
    m->set_finalized_timestamp(f.TakeU64(
        "finalized_ts", m->finalized() >= m->number() ? m->timestamp() : 0));
  } else if (line.kind == "intent") {
    in.topic = "cf.user.events";
    auto* i = in.envelope.mutable_intent_submitted();
    i->set_intent_id(IntentId(f.Take("id", "1")));
    std::string kind = f.Take("kind", "gift");
    i->set_kind(kind == "clap"   ? v1::INTENT_KIND_CLAP
                : kind == "gift" ? v1::INTENT_KIND_GIFT
                                 : v1::INTENT_KIND_UNSPECIFIED);
    i->set_chain(f.Take("chain", "mainnet"));
    ASSIGN_OR_RETURN(std::string token, Bytes(f.Take("token", "0x70cc"), 20));
    ASSIGN_OR_RETURN(std::string payer, Bytes(f.Take("payer", "0xa11ce"), 20));
    ASSIGN_OR_RETURN(std::string payee, Bytes(f.Take("payee", "0xb0b"), 20));
    ASSIGN_OR_RETURN(std::string amount, Amount(f.Take("amount", "1")));
    i->set_token(token);
    i->set_payer(payer);
    i->set_payee(payee);
    i->set_amount(amount);
    i->set_memo(f.Take("memo", ""));
    i->set_received_at(f.TakeU64("at", 0));
    uint64_t delegation_expires = f.TakeU64("delegation_expires", 0);
    if (delegation_expires != 0) i->mutable_delegation()->set_expires_at(delegation_expires);
    in.key = "payer";
  } else if (line.kind == "mint" || line.kind == "burn") {
    in.topic = "cf.user.events";
    in.key = "account";
    const std::string provider = f.Take("provider", "pay");
    const std::string event_id = f.Take("id", "1");
    const std::string chain = f.Take("chain", "mainnet");
    ASSIGN_OR_RETURN(std::string token, Bytes(f.Take("token", "0x70cc"), 20));
    ASSIGN_OR_RETURN(std::string account, Bytes(f.Take("account", "0xa11ce"), 20));
    ASSIGN_OR_RETURN(std::string amount, Amount(f.Take("amount", "1")));
    const uint64_t at = f.TakeU64("at", 0);
    auto fill = [&](auto* r) {
      r->set_provider(provider);
      r->set_provider_event_id(event_id);
      r->set_chain(chain);
      r->set_token(token);
      r->set_account(account);
      r->set_amount(amount);
      r->set_received_at(at);
    };
    if (line.kind == "mint") {
      fill(in.envelope.mutable_mint_requested());
    } else {
      fill(in.envelope.mutable_burn_requested());
    }
  } else if (line.kind == "clock") {
    in.topic = "cf.user.events";
    in.key = "clock/api";
    in.envelope.mutable_user_clock()->set_time(f.TakeU64("time", 0));
    in.envelope.mutable_user_clock()->set_writer("api");
  } else if (line.kind == "no_payload") {
    in.topic = f.Take("topic", "cf.user.events");
  } else {
    return core::InvalidArgumentError("unknown input kind " + line.kind);
  }
  return in;
}

}  // namespace

intents::IntentsOptions DefaultIntentsOptions() {
  intents::IntentsOptions o;
  o.topic_prefix = "cf";
  o.chains = {"mainnet"};
  o.upstream_partitions = 2;
  o.partitions = 1;
  o.approval_interval_s = 3600;
  o.ttl_s = 86'400;
  o.epoch_genesis = 0;
  o.epoch_length_s = 604'800;
  return o;
}

Result<IntentsGoldenLine> ParseIntentsInput(const std::string& text,
                                            const intents::IntentsOptions& defaults) {
  ASSIGN_OR_RETURN(FieldLine line, SplitFields(text));
  Fields f(line.fields);
  IntentsGoldenLine out;
  if (line.kind == "options") {
    out.is_options = true;
    out.options = defaults;
    out.options.upstream_partitions =
        static_cast<int32_t>(f.TakeU64("upstream", defaults.upstream_partitions));
    out.options.approval_interval_s = f.TakeU64("interval", defaults.approval_interval_s);
    out.options.ttl_s = f.TakeU64("ttl", defaults.ttl_s);
    out.options.epoch_genesis = f.TakeU64("genesis", defaults.epoch_genesis);
    out.options.epoch_length_s = f.TakeU64("epoch", defaults.epoch_length_s);
    out.options.accrual_rate_bps =
        static_cast<uint32_t>(f.TakeU64("accrual_rate", defaults.accrual_rate_bps));
    out.options.accrual_period_s = f.TakeU64("day", defaults.accrual_period_s);
    std::string accrual_token = f.Take("accrual_token", "");
    if (!accrual_token.empty()) {
      ASSIGN_OR_RETURN(std::string token, Bytes(accrual_token, 20));
      out.options.accrual_tokens.push_back({"mainnet", core::Address::FromBytes(token).value()});
    }
    std::string chains = f.Take("chains", "");
    if (!chains.empty()) {
      out.options.chains.clear();
      size_t start = 0;
      while (start <= chains.size()) {
        size_t comma = chains.find(',', start);
        out.options.chains.push_back(chains.substr(start, comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
  } else {
    ASSIGN_OR_RETURN(out.input, ParseRecord(line, f));
  }
  RETURN_IF_ERROR(f.Done());
  return out;
}

std::string RenderIntentsOutput(const engine::runtime::OutputEvent& event) {
  std::string line;
  if (event.envelope.has_intent_status_changed()) {
    const v1::IntentStatusChanged& c = event.envelope.intent_status_changed();
    line = "intent " + RenderIntent(c);
    std::string expected_id = fmt::format("intent/{}/{}", c.intent_id(), StatusText(c.status()));
    if (event.id != expected_id) line += " record_id=" + event.id;
    if (event.event_time != static_cast<int64_t>(c.decided_at())) {
      line += fmt::format(" event_time={}", event.event_time);
    }
    if (event.topic != "cf.intents") line += " topic=" + event.topic;
  } else if (event.envelope.has_balance_delta() &&
             event.envelope.balance_delta().origin() != v1::BalanceDelta::ORIGIN_SETTLEMENT) {
    // An accrual or payment, for token_balances.
    const v1::BalanceDelta& d = event.envelope.balance_delta();
    const char* origin = d.origin() == v1::BalanceDelta::ORIGIN_ACCRUAL        ? "accrual"
                         : d.origin() == v1::BalanceDelta::ORIGIN_MINT_REQUEST ? "mint"
                         : d.origin() == v1::BalanceDelta::ORIGIN_BURN_REQUEST ? "burn"
                                                                               : "chain?";
    line = fmt::format("own {} {} account={} amount={} ts={} request={} record_id={}", origin,
                       d.direction() == v1::BalanceDelta::DIRECTION_DEBIT ? "debit" : "credit",
                       CompactHex(d.account()), Uint(d.amount()), d.log().block_timestamp(),
                       d.request_id(), event.id);
    if (event.topic != "cf.token.deltas") line += " topic=" + event.topic;
    return line;
  } else if (event.envelope.has_supply_delta()) {
    const v1::SupplyDelta& d = event.envelope.supply_delta();
    line = fmt::format("supply {} key={} amount={} ts={}",
                       d.direction() == v1::SupplyDelta::DIRECTION_MINT ? "mint" : "burn",
                       event.key, Uint(d.amount()), d.log().block_timestamp());
    if (event.topic != "cf.token.deltas") line += " topic=" + event.topic;
    return line;
  } else if (event.envelope.has_epoch_part()) {
    const v1::EpochPart& part = event.envelope.epoch_part();
    line = fmt::format("part epoch={} start={} end={} partition={} settled={} rejected={}",
                       part.epoch(), part.start(), part.end(), part.partition(), part.settled(),
                       part.rejected());
    for (const v1::TokenTotal& t : part.totals()) {
      line += fmt::format(" total={}:{}={}x{}", t.chain(), CompactHex(t.token()), Uint(t.amount()),
                          t.intents());
    }
    line += " digest=" + core::ToHex(part.digest()).substr(2, 16);
    if (event.topic != "cf.settlement.parts") line += " topic=" + event.topic;
    return line;
  } else if (event.envelope.has_account_settled()) {
    const v1::AccountSettled& a = event.envelope.account_settled();
    line = fmt::format("settled epoch={} end={} account={} debited={} credited={} paid={} "
                       "received={}",
                       a.epoch(), a.end(), CompactHex(a.account()),
                       a.debited().empty() ? "0" : Uint(a.debited()),
                       a.credited().empty() ? "0" : Uint(a.credited()), a.paid(), a.received());
    if (event.topic != "cf.settlements") line += " topic=" + event.topic;
    return line;
  } else if (event.envelope.has_accrual_recorded()) {
    const v1::AccrualRecorded& a = event.envelope.accrual_recorded();
    line = fmt::format("accrual day={} end={} account={} balance={} rate={} accrued={} carry={} "
                       "total={}",
                       a.day(), a.end(), CompactHex(a.account()), Uint(a.balance()), a.rate_bps(),
                       Uint(a.accrued()), a.carry(), Uint(a.total_accrued()));
    if (event.topic != "cf.accruals") line += " topic=" + event.topic;
    return line;
  } else if (event.envelope.has_balance_delta()) {
    // A settlement's side, back on the deltas topic.
    const v1::BalanceDelta& d = event.envelope.balance_delta();
    line = fmt::format(
        "settle {} key={} account={} amount={} ts={} intent={}",
        d.direction() == v1::BalanceDelta::DIRECTION_DEBIT ? "debit" : "credit", event.key,
        CompactHex(d.account()), Uint(d.amount()), d.log().block_timestamp(),
        ShortId(d.intent_id()));
    if (event.id != fmt::format("settle/{}/{}", d.intent_id(),
                                d.direction() == v1::BalanceDelta::DIRECTION_DEBIT ? "debit"
                                                                                    : "credit")) {
      line += " record_id=" + event.id;
    }
    if (event.topic != "cf.token.deltas") line += " topic=" + event.topic;
    return line;
  } else if (event.envelope.has_settlement_mark()) {
    const v1::SettlementMark& m = event.envelope.settlement_mark();
    line = fmt::format("mark partition={} through={}", m.partition(), m.through());
    if (!event.all_partitions) line += " all_partitions=false";
    if (event.topic != "cf.token.deltas") line += " topic=" + event.topic;
    return line;
  } else {
    line = "unexpected " + event.envelope.ShortDebugString();
  }
  if (event.ce_type != "chainflow.intents.IntentStatusChanged") line += " type=" + event.ce_type;
  return line;
}

std::vector<std::string> RenderIntentsState(const std::map<std::string, std::string>& state) {
  std::vector<std::string> lines;
  // Keys of one queue or one account's future deltas render as one line:
  // `head` (the first key's), then an item per key.
  std::string group;
  bool in_group = false;  // the current key was rendered by `grouped`
  auto grouped = [&](std::string_view group_key, const std::string& head, std::string item) {
    in_group = true;
    if (group.empty() || group != group_key) {
      group = std::string(group_key);
      lines.push_back(head);
    }
    lines.back() += " " + item;
  };
  for (const auto& [key, value] : state) {
    in_group = false;
    if (key.rfind("i/", 0) == 0) {
      v1::IntentStatusChanged c;
      lines.push_back(c.ParseFromString(value) ? "intent " + RenderIntent(c)
                                               : "bad intent " + key.substr(2));
    } else if (key.rfind("b/", 0) == 0 && key.size() > 42 && value.size() == 66) {
      std::string chain = key.substr(2, key.size() - 2 - 41);
      std::string_view addrs = std::string_view(key).substr(key.size() - 40);
      lines.push_back(fmt::format("account chain={} token={} account={} total={} reserved={}",
                                  chain, CompactHex(addrs.substr(0, 20)),
                                  CompactHex(addrs.substr(20)), Signed(value.substr(1, 33)),
                                  Uint(value.substr(34, 32))));
    } else if (key.rfind(std::string("\0t/w/", 5), 0) == 0) {
      lines.push_back(fmt::format("clock source={} time={}", key.substr(5), U64Be(value)));
    } else if (key == std::string("\0t/wm", 5)) {
      lines.push_back(fmt::format("watermark {}", U64Be(value)));
    } else if (key == std::string("\0t/next", 7)) {
      lines.push_back(fmt::format("timer next={}", U64Be(value)));
    } else if ((key.rfind(std::string("\0t/q/", 5), 0) == 0 ||
                key.rfind(std::string("\0t/e/", 5), 0) == 0) &&
               key.size() == 13 + 40) {
      grouped(std::string_view(key).substr(0, 13),
              fmt::format("{}={}", key[3] == 'q' ? "queue deadline" : "settles epoch_end",
                          U64Be(key.substr(5, 8))),
              fmt::format("{}@{}", ShortId(key.substr(21, 32)), U64Be(key.substr(13, 8))));
    } else if (key.rfind(std::string("\0t/a/", 5), 0) == 0) {
      v1::AccountSettled a;
      lines.push_back(a.ParseFromString(value)
                          ? fmt::format("pending settled end={} account={} paid={} received={}",
                                        a.end(), CompactHex(a.account()), a.paid(), a.received())
                          : "bad pending settled");
    } else if (key == std::string("\0t/ap", 5)) {
      std::string ends;
      for (size_t at = 0; at + 8 <= value.size(); at += 8) {
        ends += fmt::format(" {}", U64Be(value.substr(at, 8)));
      }
      lines.push_back("pending settled ends" + ends);
    } else if (key.rfind("r/", 0) == 0 && key.size() > 42 && value.size() == 37) {
      std::string_view addrs = std::string_view(key).substr(key.size() - 40);
      lines.push_back(fmt::format("accrued token={} account={} carry={} total={}",
                                  CompactHex(addrs.substr(0, 20)), CompactHex(addrs.substr(20)),
                                  U64Be(value.substr(1, 4)), Uint(value.substr(5, 32))));
    } else if (key.rfind("p/", 0) == 0) {
      lines.push_back("payment " + key.substr(2));
    } else if (key.rfind(std::string("\0t/bq/", 6), 0) == 0 && key.size() == 6 + 16) {
      grouped(std::string_view(key).substr(0, 14),
              fmt::format("burns deadline={}", U64Be(key.substr(6, 8))),
              fmt::format("#{}:{}bytes", U64Be(key.substr(14, 8)), value.size()));
    } else if (key == std::string("\0t/bn", 5)) {
      lines.push_back(fmt::format("burn sequence next={}", U64Be(value)));
    } else if (key == std::string("\0t/mark", 7)) {
      lines.push_back(fmt::format("promised {}", U64Be(value)));
    } else if (key.rfind(std::string("\0t/f/", 5), 0) == 0 && key.size() > 61 &&
               value.size() == 33) {
      std::string_view account_key = std::string_view(key).substr(0, key.size() - 16);
      std::string_view addrs = account_key.substr(account_key.size() - 40);
      grouped(account_key,
              fmt::format("future token={} account={}", CompactHex(addrs.substr(0, 20)),
                          CompactHex(addrs.substr(20))),
              fmt::format("{}@{}", Signed(value), U64Be(key.substr(key.size() - 16, 8))));
    } else if (key.rfind(std::string("\0t/fs/", 6), 0) == 0 && key.size() > 46 &&
               value.size() == 65) {
      std::string_view addrs = std::string_view(key).substr(key.size() - 40);
      lines.push_back(fmt::format(
          "future sum token={} account={} sum={} count={} earliest={}#{} next={}",
          CompactHex(addrs.substr(0, 20)), CompactHex(addrs.substr(20)),
          Signed(value.substr(0, 33)), U64Be(value.substr(33, 8)), U64Be(value.substr(41, 8)),
          U64Be(value.substr(49, 8)), U64Be(value.substr(57, 8))));
    } else {
      lines.push_back("unknown key " + core::ToHex(key));
    }
    if (!in_group) group.clear();  // a line of its own ends a group
  }
  return lines;
}

}  // namespace chainflow::tests::golden
