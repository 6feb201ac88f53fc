#include "tests/golden/epochs_codec.h"

#include <fmt/format.h>

#include "engine/core/hex.h"
#include "engine/core/u256.h"
#include "tests/golden/golden_file.h"

namespace chainflow::tests::golden {
namespace {

using core::Result;

constexpr uint64_t kWeek = 604'800;

uint64_t U64Be(std::string_view bytes) {
  uint64_t v = 0;
  for (char c : bytes) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

// "0x.." padded to `size` bytes.
Result<std::string> Fixed(const std::string& text, size_t size) {
  std::vector<uint8_t> bytes(size);
  RETURN_IF_ERROR(core::FromHexPadded(text, bytes));
  return std::string(bytes.begin(), bytes.end());
}

std::string Compact(const std::string& bytes) {
  std::string hex = core::ToHex(bytes).substr(2);
  size_t first = hex.find_first_not_of('0');
  return "0x" + (first == std::string::npos ? "0" : hex.substr(first));
}

std::string Uint(const std::string& bytes) {
  if (bytes.size() != 32) return "raw:" + core::ToHex(bytes);
  return core::U256ToDecimal(core::U256FromBigEndian(bytes).value());
}

std::string RenderTotals(const google::protobuf::RepeatedPtrField<v1::TokenTotal>& totals) {
  std::string out = "[";
  for (const v1::TokenTotal& t : totals) {
    if (out.size() > 1) out += ",";
    out += fmt::format("{}:{}:{}:{}", t.chain(), Compact(t.token()), Uint(t.amount()),
                       t.intents());
  }
  return out + "]";
}

std::string RenderEpoch(const v1::EpochSettled& e) {
  return fmt::format("epoch={} start={} end={} settled={} rejected={} totals={} digest={}",
                     e.epoch(), e.start(), e.end(), e.settled(), e.rejected(),
                     RenderTotals(e.totals()), Compact(e.digest()));
}

Result<std::map<std::string, std::string>> Take(FieldLine& line,
                                                const std::vector<std::string>& keys) {
  std::map<std::string, std::string> out;
  for (const std::string& k : keys) {
    auto it = line.fields.find(k);
    if (it == line.fields.end()) continue;
    out[k] = it->second;
    line.fields.erase(it);
  }
  if (!line.fields.empty()) {
    return core::InvalidArgumentError("unknown field " + line.fields.begin()->first);
  }
  return out;
}

}  // namespace

engine::processors::epochs::EpochsOptions DefaultEpochsOptions() {
  engine::processors::epochs::EpochsOptions options;
  options.topic_prefix = "cf";
  options.intents_partitions = 2;
  return options;
}

Result<EpochsGoldenLine> ParseEpochsInput(const std::string& text) {
  ASSIGN_OR_RETURN(FieldLine line, SplitFields(text));
  EpochsGoldenLine out;
  auto u64 = [](const std::map<std::string, std::string>& f, const std::string& k,
                uint64_t fallback) {
    auto it = f.find(k);
    return it == f.end() ? fallback : std::stoull(it->second);
  };
  if (line.kind == "options") {
    ASSIGN_OR_RETURN(auto f, Take(line, {"intents_partitions"}));
    out.is_options = true;
    out.options = DefaultEpochsOptions();
    out.options.intents_partitions = static_cast<int32_t>(u64(f, "intents_partitions", 2));
    return out;
  }
  if (line.kind == "part") {
    ASSIGN_OR_RETURN(auto f, Take(line, {"epoch", "start", "end", "partition", "settled",
                                         "rejected", "digest", "totals", "id"}));
    v1::EpochPart* p = out.envelope.mutable_epoch_part();
    p->set_epoch(u64(f, "epoch", 0));
    p->set_start(u64(f, "start", p->epoch() * kWeek));
    p->set_end(u64(f, "end", p->start() + kWeek));
    p->set_partition(static_cast<uint32_t>(u64(f, "partition", 0)));
    p->set_settled(u64(f, "settled", 0));
    p->set_rejected(u64(f, "rejected", 0));
    std::string digest_text = f.count("digest") ? f["digest"] : "0x0";
    if (digest_text.rfind("raw:", 0) == 0) {
      ASSIGN_OR_RETURN(std::vector<uint8_t> raw, core::FromHex(digest_text.substr(4)));
      p->set_digest(std::string(raw.begin(), raw.end()));
    } else {
      ASSIGN_OR_RETURN(std::string digest, Fixed(digest_text, 32));
      p->set_digest(digest);
    }
    std::string totals = f.count("totals") ? f["totals"] : "";
    for (size_t pos = 0; pos < totals.size();) {
      size_t end = totals.find(',', pos);
      if (end == std::string::npos) end = totals.size();
      std::string item = totals.substr(pos, end - pos);
      pos = end + 1;
      std::vector<std::string> parts;
      for (size_t a = 0; a <= item.size();) {
        size_t b = item.find(':', a);
        if (b == std::string::npos) b = item.size();
        parts.push_back(item.substr(a, b - a));
        a = b + 1;
      }
      if (parts.size() != 4) return core::InvalidArgumentError("totals item " + item);
      v1::TokenTotal* t = p->add_totals();
      t->set_chain(parts[0]);
      ASSIGN_OR_RETURN(std::string token, Fixed(parts[1], 20));
      t->set_token(token);
      ASSIGN_OR_RETURN(core::U256 amount, core::U256FromDecimal(parts[2]));
      t->set_amount(core::U256ToBigEndianString(amount));
      t->set_intents(std::stoull(parts[3]));
    }
    out.envelope.set_id(f.count("id") ? f["id"]
                                      : fmt::format("part/{}/{}", p->epoch(), p->partition()));
    return out;
  }
  if (line.kind == "mark") {
    ASSIGN_OR_RETURN(auto f, Take(line, {"partition", "through"}));
    v1::SettlementMark* m = out.envelope.mutable_settlement_mark();
    m->set_partition(static_cast<uint32_t>(u64(f, "partition", 0)));
    m->set_through(u64(f, "through", 0));
    out.envelope.set_id(fmt::format("mark/{}/{}", m->partition(), m->through()));
    return out;
  }
  if (line.kind == "no_payload") {
    ASSIGN_OR_RETURN(auto f, Take(line, {}));
    (void)f;
    out.envelope.set_id("no_payload");
    return out;
  }
  if (line.kind == "wrong_payload") {
    ASSIGN_OR_RETURN(auto f, Take(line, {}));
    (void)f;
    out.envelope.set_id("wrong_payload");
    out.envelope.mutable_block_end()->set_chain("mainnet");
    return out;
  }
  return core::InvalidArgumentError("unknown input kind " + line.kind);
}

std::string RenderEpochsOutput(const engine::runtime::OutputEvent& event) {
  if (!event.envelope.has_epoch_settled()) {
    return fmt::format("other key={} envelope={{{}}}", event.key,
                       event.envelope.ShortDebugString());
  }
  const v1::EpochSettled& e = event.envelope.epoch_settled();
  std::string out = "epoch_settled " + RenderEpoch(e);
  const std::string key = fmt::format("epoch/{}", e.epoch());
  if (event.key != key) out += " key=" + event.key;
  if (event.id != key) out += " id=" + event.id;
  if (event.topic != "cf.settlements") out += " topic=" + event.topic;
  if (event.ce_type != "chainflow.settlements.EpochSettled") out += " type=" + event.ce_type;
  if (event.event_time != static_cast<int64_t>(e.end())) {
    out += fmt::format(" time={}", event.event_time);
  }
  return out;
}

std::vector<std::string> RenderEpochsState(const std::map<std::string, std::string>& state) {
  const std::string promise("\0t/w/s/", 7), partial("\0t/p/", 5), open("\0t/open", 7);
  std::vector<std::string> lines;
  for (const auto& [key, value] : state) {
    std::string line;
    v1::EpochSettled e;
    if (key.rfind("e/", 0) == 0 && key.size() == 10 && e.ParseFromString(value)) {
      line = U64Be(key.substr(2)) == e.epoch()
                 ? "sent " + RenderEpoch(e)
                 : "raw key=" + core::ToHex(key) + " value=" + core::ToHex(value);
    } else if (key.rfind(promise, 0) == 0 && value.size() == 8) {
      line = fmt::format("promise task={} through={}", key.substr(promise.size()), U64Be(value));
    } else if (key.rfind(partial, 0) == 0 && key.size() == 13 && e.ParseFromString(value)) {
      line = fmt::format("open end={} {}", U64Be(key.substr(5)), RenderEpoch(e));
    } else if (key == open && value.size() % 8 == 0) {
      line = "open_ends [";
      for (size_t i = 0; i < value.size(); i += 8) {
        line += fmt::format("{}{}", i == 0 ? "" : ",", U64Be(value.substr(i, 8)));
      }
      line += "]";
    } else {
      line = "raw key=" + core::ToHex(key) + " value=" + core::ToHex(value);
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace chainflow::tests::golden
