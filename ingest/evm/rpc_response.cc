#include "ingest/evm/rpc_response.h"

#include <algorithm>
#include <array>
#include <span>

#include <fmt/format.h>
#include <simdjson.h>

#include "engine/core/hex.h"
#include "ingest/evm/log_batch_dom.h"

namespace chainflow::ingest::evm {
namespace {

simdjson::dom::parser& Parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool ContainsAny(const std::string& haystack, std::span<const std::string_view> needles) {
  return std::any_of(needles.begin(), needles.end(), [&](std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
  });
}

// Reads "0x<hex>" at text[*pos], advancing *pos past it.
std::optional<uint64_t> HexAt(std::string_view text, size_t* pos) {
  size_t start = *pos;
  if (text.substr(start, 2) != "0x" && text.substr(start, 2) != "0X") return std::nullopt;
  size_t end = start + 2;
  while (end < text.size() && std::isxdigit(static_cast<unsigned char>(text[end]))) ++end;
  auto value = core::ParseHexQuantity(text.substr(start, end - start));
  if (!value) return std::nullopt;
  *pos = end;
  return value.value();
}

core::Status ErrorObjectStatus(simdjson::dom::element error, std::string_view method) {
  int64_t code = 0;
  std::string_view message;
  if (error["code"].get_int64().get(code)) code = -32603;
  if (error["message"].get_string().get(message)) message = "(no message)";
  return RpcErrorStatus(code, message, method);
}

// The "result" of a response object, or its error object's status.
core::Result<simdjson::dom::element> ResultElement(simdjson::dom::element doc,
                                                   std::string_view method) {
  simdjson::dom::element error;
  if (!doc["error"].get(error) && !error.is_null()) return ErrorObjectStatus(error, method);
  simdjson::dom::element result;
  if (doc["result"].get(result)) {
    return core::UnavailableError(fmt::format("rpc {}: response has no result", method));
  }
  return result;
}

core::Result<std::string> ResultOf(simdjson::dom::element doc, std::string_view method) {
  ASSIGN_OR_RETURN(simdjson::dom::element result, ResultElement(doc, method));
  return simdjson::to_string(result);
}

// Parses one response with `parser`: its "result", valid until the parser's
// next parse.
core::Result<simdjson::dom::element> ParseResult(simdjson::dom::parser& parser,
                                                 std::string_view text, std::string_view method) {
  simdjson::dom::element doc;
  if (auto error = parser.parse(text.data(), text.size()).get(doc)) {
    return core::UnavailableError(
        fmt::format("rpc {}: response is not JSON: {}", method, simdjson::error_message(error)));
  }
  if (!doc.is_object()) {
    return core::UnavailableError(fmt::format("rpc {}: response is not an object", method));
  }
  return ResultElement(doc, method);
}

core::Status HexField(simdjson::dom::object obj, const char* name, std::string* out) {
  std::string_view text;
  if (obj[name].get_string().get(text)) {
    return core::UnavailableError(fmt::format("block header has no string \"{}\"", name));
  }
  out->resize(32);
  core::Status status =
      core::FromHexPadded(text, std::span<uint8_t>(reinterpret_cast<uint8_t*>(out->data()), 32));
  if (!status.ok()) return status.WithContext(name);
  return core::Status::Ok();
}

core::Result<uint64_t> QuantityField(simdjson::dom::object obj, const char* name) {
  std::string_view text;
  if (obj[name].get_string().get(text)) {
    return core::UnavailableError(fmt::format("eth_getBlockByNumber: no \"{}\"", name));
  }
  auto value = core::ParseHexQuantity(text);
  if (!value) return value.error().WithContext(name);
  return value.value();
}

}  // namespace

bool IsRangeRefusal(std::string_view message) {
  static constexpr std::array<std::string_view, 14> kPhrases = {
      "query returned more than",     // geth, Infura (-32005), Erigon
      "log response size exceeded",   // Alchemy
      "response size exceeded",       // others quoting a size cap
      "block range is too",           // "block range is too wide" / "too large"
      "block range too",              // "block range too large"
      "maximum block range",          // "exceed maximum block range: 5000"
      "max block range",              //
      "block range limit",            // "block range limit exceeded"
      "range is too large",           //
      "is limited to a",              // QuickNode "eth_getLogs is limited to a 10,000 range"
      "query exceeds max results",    // Erigon
      "too many results",             //
      "logs matched by query exceeds", // Ankr / BlockPI
      "query timeout exceeded",       // Alchemy: "Consider reducing your block range"
  };
  return ContainsAny(Lower(message), kPhrases);
}

bool IsBlockPastHead(std::string_view message) {
  static constexpr std::array<std::string_view, 4> kPhrases = {
      "blockoutofrange",            // Anvil: "BlockOutOfRangeError: block height is ..."
      "beyond current head block",  // geth (execution-apis conformance), Alchemy
      "unknown block",              // geth
      "after last accepted block",  // Avalanche
  };
  return ContainsAny(Lower(message), kPhrases);
}

bool IsRateLimited(const core::Status& status) {
  return status.code() == core::StatusCode::kResourceExhausted &&
         !IsRangeRefusal(status.message());
}

std::optional<std::pair<uint64_t, uint64_t>> SuggestedRange(std::string_view message) {
  size_t open = message.rfind('[');
  if (open == std::string_view::npos) return std::nullopt;
  size_t pos = open + 1;
  while (pos < message.size() && message[pos] == ' ') ++pos;
  auto from = HexAt(message, &pos);
  if (!from) return std::nullopt;
  while (pos < message.size() && (message[pos] == ' ' || message[pos] == ',')) ++pos;
  auto to = HexAt(message, &pos);
  if (!to || pos >= message.size() || message[pos] != ']' || *from > *to) return std::nullopt;
  return std::pair(*from, *to);
}

core::Status RpcErrorStatus(int64_t code, std::string_view message, std::string_view method) {
  std::string text = fmt::format("rpc {}: node error {}: {}", method, code, message);
  if (method == "eth_getLogs" && IsRangeRefusal(message)) {
    return core::ResourceExhaustedError(std::move(text));
  }
  static constexpr std::array<std::string_view, 4> kRateLimit = {
      "rate limit", "too many requests", "exceeded its compute units", "request rate"};
  if (code == -32005 || code == 429 || ContainsAny(Lower(message), kRateLimit)) {
    return core::ResourceExhaustedError(std::move(text));
  }
  if (IsBlockPastHead(message)) return core::UnavailableError(std::move(text));
  if (code <= -32600 && code >= -32700) return core::InvalidArgumentError(std::move(text));
  return core::UnavailableError(std::move(text));
}

core::Result<std::string> ParseRpcResponse(std::string_view text, std::string_view method) {
  ASSIGN_OR_RETURN(simdjson::dom::element result, ParseResult(Parser(), text, method));
  return simdjson::to_string(result);
}

core::Result<std::vector<core::Result<std::string>>> ParseBatchResponse(
    std::string_view text, const std::vector<uint64_t>& ids, std::string_view method) {
  simdjson::dom::element doc;
  if (auto error = Parser().parse(text.data(), text.size()).get(doc)) {
    return core::UnavailableError(fmt::format("rpc {} batch: response is not JSON: {}", method,
                                              simdjson::error_message(error)));
  }
  if (doc.is_object()) {
    // A node that refuses the whole batch answers with one error object.
    auto single = ResultOf(doc, method);
    if (!single) return single.error();
    return core::UnavailableError(fmt::format("rpc {} batch: answered with one result", method));
  }
  simdjson::dom::array items;
  if (doc.get_array().get(items)) {
    return core::UnavailableError(fmt::format("rpc {} batch: response is not an array", method));
  }
  std::vector<std::optional<core::Result<std::string>>> slots(ids.size());
  for (simdjson::dom::element item : items) {
    uint64_t id = 0;
    if (item["id"].get_uint64().get(id)) {
      return core::UnavailableError(fmt::format("rpc {} batch: a response has no numeric id",
                                                method));
    }
    auto it = std::find(ids.begin(), ids.end(), id);
    if (it == ids.end()) {
      return core::UnavailableError(fmt::format("rpc {} batch: unexpected id {}", method, id));
    }
    auto& slot = slots[static_cast<size_t>(it - ids.begin())];
    if (slot) {
      return core::UnavailableError(fmt::format("rpc {} batch: id {} answered twice", method, id));
    }
    slot = ResultOf(item, method);
  }
  std::vector<core::Result<std::string>> out;
  out.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!slots[i]) {
      return core::UnavailableError(
          fmt::format("rpc {} batch: no response for id {}", method, ids[i]));
    }
    out.push_back(std::move(*slots[i]));
  }
  return out;
}

core::Result<BlockHeader> ParseBlockHeader(std::string_view result, std::string_view which) {
  simdjson::dom::element doc;
  if (Parser().parse(result.data(), result.size()).get(doc) || doc.is_null()) {
    return core::UnavailableError(fmt::format("eth_getBlockByNumber: block {} not found", which));
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj)) {
    return core::UnavailableError("eth_getBlockByNumber: result is not an object");
  }
  BlockHeader header;
  ASSIGN_OR_RETURN(header.number, QuantityField(obj, "number"));
  RETURN_IF_ERROR(HexField(obj, "hash", &header.hash));
  RETURN_IF_ERROR(HexField(obj, "parentHash", &header.parent_hash));
  ASSIGN_OR_RETURN(uint64_t timestamp, QuantityField(obj, "timestamp"));
  header.timestamp = static_cast<int64_t>(timestamp);
  return header;
}

namespace {

// The batch of the array `result`, parsed by `parser` (which it takes over).
core::Result<LogBatch> BatchOf(std::unique_ptr<simdjson::dom::parser> parser,
                               simdjson::dom::element result) {
  simdjson::dom::array logs;
  if (result.get_array().get(logs)) {
    return core::UnavailableError("eth_getLogs: result is not an array");
  }
  LogBatch batch;
  batch.dom().logs.reserve(logs.size());
  for (simdjson::dom::element log : logs) batch.dom().logs.push_back(log);
  batch.dom().documents.push_back(std::move(parser));
  return batch;
}

}  // namespace

core::Result<LogBatch> ParseLogArray(std::string_view result) {
  auto parser = SpareParser();
  simdjson::dom::element doc;
  if (parser->parse(result.data(), result.size()).get(doc)) {
    return core::UnavailableError("eth_getLogs: result is not an array");
  }
  return BatchOf(std::move(parser), doc);
}

core::Result<LogBatch> ParseLogsResponse(std::string_view text) {
  // DOM, not On Demand: the DOM parser picks the CPU's SIMD kernel at run
  // time, On Demand at compile time (the portable fallback for x86-64). A
  // parser of its own, since the batch keeps the document.
  auto parser = SpareParser();
  ASSIGN_OR_RETURN(simdjson::dom::element result, ParseResult(*parser, text, "eth_getLogs"));
  return BatchOf(std::move(parser), result);
}

}  // namespace chainflow::ingest::evm
