#include "projections/contracts/columns.h"

#include <fmt/format.h>

#include "engine/abi/json_render.h"
#include "projections/contracts/text_rule.h"

namespace chainflow::projections::contracts {
namespace {

namespace abi = engine::abi;

core::Status WrongKind(const ColumnSpec& column) {
  return core::InvalidArgumentError(fmt::format(
      "parameter `{}`: the value is not a {}", column.parameter, column.abi_type));
}

// "\x" + hex: bytea's input format (the COPY escaping doubles the backslash).
std::string ByteaText(const std::string& bytes) {
  return "\\x" + abi::ToHex(bytes).substr(2);
}

core::Result<std::string> BinaryText(const abi::Value& value, const ColumnSpec& column) {
  if (const auto* f = std::get_if<abi::FixedBytesValue>(&value.v)) return ByteaText(f->bytes);
  if (const auto* b = std::get_if<abi::BytesValue>(&value.v)) return ByteaText(b->bytes);
  if (const auto* h = std::get_if<abi::TopicHashValue>(&value.v)) {
    return ByteaText(std::string(reinterpret_cast<const char*>(h->hash.data()), h->hash.size()));
  }
  return WrongKind(column);
}

core::Result<std::string> TextText(const abi::Value& value, const ColumnSpec& column,
                                   bool* adjusted) {
  if (const auto* a = std::get_if<abi::AddressValue>(&value.v)) return abi::ToHex(*a);
  if (const auto* s = std::get_if<abi::StringValue>(&value.v)) {
    CleanText clean = CleanString(s->bytes);
    *adjusted = *adjusted || clean.changed;
    return std::move(clean.text);
  }
  return WrongKind(column);
}

}  // namespace

std::string SqlType(const abi::EventParam& param) {
  const abi::AbiType& t = param.type;
  if (param.indexed && !t.is_elementary()) return "bytea";  // only the topic hash is there
  switch (t.kind()) {
    case abi::TypeKind::kUint:
    case abi::TypeKind::kInt:
      return "numeric(78,0)";
    case abi::TypeKind::kAddress:
    case abi::TypeKind::kString:
      return "text";
    case abi::TypeKind::kBool:
      return "boolean";
    case abi::TypeKind::kFixedBytes:
    case abi::TypeKind::kFunction:
    case abi::TypeKind::kBytes:
      return "bytea";
    case abi::TypeKind::kFixedArray:
    case abi::TypeKind::kArray:
    case abi::TypeKind::kTuple:
      return "jsonb";
  }
  return "jsonb";
}

std::vector<TableSpec> TableSpecsOf(const abi::CatalogContract& contract) {
  std::vector<TableSpec> out;
  const std::vector<abi::Event>& events = contract.decoder.events();
  for (size_t i = 0; i < events.size(); ++i) {
    TableSpec spec{contract.tables[i].table, events[i].name, events[i].signature, {}};
    for (size_t c = 0; c < events[i].inputs.size(); ++c) {
      const abi::EventParam& p = events[i].inputs[c];
      spec.columns.push_back(
          {contract.tables[i].columns[c], p.name, p.type.canonical(), SqlType(p), p.indexed});
    }
    out.push_back(std::move(spec));
  }
  return out;
}

std::string Quote(const std::string& name) { return "\"" + name + "\""; }

core::Result<std::string> ColumnText(const abi::Value& value, const ColumnSpec& column,
                                     bool* adjusted) {
  if (column.sql_type == "numeric(78,0)") {
    if (const auto* u = std::get_if<abi::UintValue>(&value.v)) return abi::ToDecimal(*u);
    if (const auto* i = std::get_if<abi::IntValue>(&value.v)) return abi::ToDecimal(*i);
    return WrongKind(column);
  }
  if (column.sql_type == "boolean") {
    if (const auto* b = std::get_if<abi::BoolValue>(&value.v)) {
      return std::string(b->value ? "t" : "f");
    }
    return WrongKind(column);
  }
  if (column.sql_type == "bytea") return BinaryText(value, column);
  if (column.sql_type == "text") return TextText(value, column, adjusted);
  if (!value.is<abi::ArrayValue>() && !value.is<abi::TupleValue>()) return WrongKind(column);
  abi::Value clean = value;
  *adjusted = CleanStrings(clean) || *adjusted;
  return abi::ToJson(clean);
}

}  // namespace chainflow::projections::contracts
