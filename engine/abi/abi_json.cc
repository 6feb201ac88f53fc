#include "engine/abi/abi_json.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <fmt/format.h>

namespace chainflow::engine::abi {

namespace {

namespace json = boost::json;

core::Status Invalid(std::string_view where, std::string_view what) {
  return core::InvalidArgumentError(fmt::format("{}: {}", where, what));
}

std::string StringField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return (v != nullptr && v->is_string()) ? std::string(v->get_string()) : std::string();
}

// `{"name", "type", "components"?}` -> its type, tuples built recursively.
core::Result<AbiType> ParseParamType(const json::object& param, int depth);

core::Result<AbiType> ParseComponents(const json::value* components, int depth) {
  if (components == nullptr || !components->is_array()) {
    return core::InvalidArgumentError("a tuple without a \"components\" array");
  }
  if (depth > kMaxTypeDepth) {
    return core::InvalidArgumentError(
        fmt::format("tuples nest deeper than {}", kMaxTypeDepth));
  }
  std::vector<std::string> names;
  std::vector<AbiType> types;
  for (const json::value& c : components->get_array()) {
    if (!c.is_object()) return core::InvalidArgumentError("a component is not an object");
    auto type = ParseParamType(c.get_object(), depth + 1);
    std::string name = StringField(c.get_object(), "name");
    if (!type.has_value()) {
      return type.error().WithContext(fmt::format("component `{}`", name));
    }
    names.push_back(std::move(name));
    types.push_back(std::move(type).value());
  }
  return AbiType::Tuple(std::move(names), std::move(types));
}

core::Result<AbiType> ParseParamType(const json::object& param, int depth) {
  const json::value* type = param.if_contains("type");
  if (type == nullptr || !type->is_string()) {
    return core::InvalidArgumentError("missing \"type\"");
  }
  std::string_view text = type->get_string();
  if (!text.starts_with("tuple")) return ParseJsonType(text, nullptr);
  ASSIGN_OR_RETURN(AbiType tuple, ParseComponents(param.if_contains("components"), depth));
  return ParseJsonType(text, &tuple);
}

core::Result<std::vector<EventParam>> ParseInputs(const json::object& entry) {
  std::vector<EventParam> inputs;
  const json::value* list = entry.if_contains("inputs");
  if (list == nullptr) return inputs;
  if (!list->is_array()) return core::InvalidArgumentError("\"inputs\" is not an array");
  const json::array& array = list->get_array();
  for (size_t i = 0; i < array.size(); ++i) {
    if (!array[i].is_object()) {
      return core::InvalidArgumentError(fmt::format("input {} is not an object", i));
    }
    const json::object& o = array[i].get_object();
    EventParam p;
    p.name = StringField(o, "name");
    auto type = ParseParamType(o, 0);
    if (!type.has_value()) {
      return type.error().WithContext(fmt::format("input {} (`{}`)", i, p.name));
    }
    p.type = std::move(type).value();
    const json::value* indexed = o.if_contains("indexed");
    p.indexed = indexed != nullptr && indexed->is_bool() && indexed->get_bool();
    inputs.push_back(std::move(p));
  }
  return inputs;
}

core::Result<Event> ParseEvent(const json::object& entry, const std::string& contract) {
  ASSIGN_OR_RETURN(std::vector<EventParam> inputs, ParseInputs(entry));
  const json::value* anonymous = entry.if_contains("anonymous");
  bool is_anonymous = anonymous != nullptr && anonymous->is_bool() && anonymous->get_bool();
  return MakeEvent(contract, StringField(entry, "name"), std::move(inputs), is_anonymous);
}

bool SameEvent(const Event& a, const Event& b) {
  if (a.signature != b.signature || a.anonymous != b.anonymous) return false;
  for (size_t i = 0; i < a.inputs.size(); ++i) {
    if (a.inputs[i].indexed != b.inputs[i].indexed) return false;
  }
  return true;
}

// Finds the entries array in one of the accepted shapes; `holder` keeps a
// parsed Etherscan "result" string alive.
core::Result<const json::array*> FindEntries(const json::value& root, json::value* holder) {
  if (root.is_array()) return &root.get_array();
  if (!root.is_object()) return core::InvalidArgumentError("neither an ABI array nor an object");
  const json::object& o = root.get_object();
  if (const json::value* abi = o.if_contains("abi"); abi != nullptr && abi->is_array()) {
    return &abi->get_array();
  }
  const json::value* result = o.if_contains("result");
  if (result == nullptr || !result->is_string()) {
    return core::InvalidArgumentError(
        "an object with neither an \"abi\" array (artifact) nor a \"result\" string (Etherscan)");
  }
  if (StringField(o, "status") == "0") {
    return core::InvalidArgumentError(
        fmt::format("Etherscan error response: {}", std::string_view(result->get_string())));
  }
  boost::system::error_code ec;
  *holder = json::parse(result->get_string(), ec);
  if (ec || !holder->is_array()) {
    return core::InvalidArgumentError("the Etherscan \"result\" string is not an ABI array");
  }
  return &holder->get_array();
}

std::string ContractName(const json::value& root, std::string_view source_name) {
  if (root.is_object()) {
    std::string name = StringField(root.get_object(), "contractName");
    if (!name.empty()) return name;
  }
  return std::filesystem::path(std::string(source_name)).stem().string();
}

}  // namespace

core::Result<Abi> ParseAbiJson(std::string_view text, std::string_view source_name) {
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 4 * kMaxTypeDepth + 8;  // deep tuples then fail with a clearer message
  json::value root = json::parse(text, ec, {}, options);
  if (ec) return Invalid(source_name, fmt::format("not JSON: {}", ec.message()));
  json::value holder;
  auto entries = FindEntries(root, &holder);
  if (!entries.has_value()) return Invalid(source_name, entries.error().message());
  Abi abi;
  abi.source = std::string(source_name);
  abi.name = ContractName(root, source_name);
  const json::array& array = *entries.value();
  for (size_t i = 0; i < array.size(); ++i) {
    if (!array[i].is_object()) {
      return Invalid(source_name, fmt::format("entry {} is not an object", i));
    }
    const json::object& entry = array[i].get_object();
    if (StringField(entry, "type") != "event") continue;
    auto event = ParseEvent(entry, abi.name);
    if (!event.has_value()) {
      return Invalid(source_name, fmt::format("entry {} ({}): {}", i, StringField(entry, "name"),
                                              event.error().message()));
    }
    bool repeated = std::any_of(abi.events.begin(), abi.events.end(),
                                [&](const Event& e) { return SameEvent(e, event.value()); });
    if (!repeated) abi.events.push_back(std::move(event).value());
  }
  return abi;
}

core::Result<Abi> LoadAbiFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::NotFoundError(fmt::format("{}: cannot read the ABI file", path));
  std::stringstream text;
  text << in.rdbuf();
  return ParseAbiJson(text.str(), path);
}

}  // namespace chainflow::engine::abi
