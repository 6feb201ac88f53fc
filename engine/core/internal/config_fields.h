#pragma once

// The vocabulary config.cc and contract_config.cc parse TOML with: a field
// setter per key (from a TOML node, or from an environment variable's text)
// and the checks that name the offending key. Private to engine/core.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "engine/core/address.h"
#include "engine/core/config.h"
#include "engine/core/status.h"

namespace chainflow::engine::core::config_internal {

// A key's setter: parses a TOML node (or an env var's text) into a field.
struct Field {
  std::function<Status(const toml::node&, const std::string& where)> from_toml;
  std::function<Status(const std::string&, const std::string& where)> from_text;
};
using FieldMap = std::map<std::string, Field>;

// "config key <where>: expected <want>".
Status TypeError(const std::string& where, std::string_view want);

Field StringField(std::string* out);
Field AddressField(Address* out);
// A string, or an array of strings (env: space-separated).
Field StringListField(std::vector<std::string>* out);
// A table of strings (env: "name=value;name2=value2").
Field StringMapField(std::map<std::string, std::string>* out);
// An address, or an array of addresses (env: space-separated).
Field AddressListField(std::vector<Address>* out);

template <typename Int>
Field IntField(Int* out, int64_t min, int64_t max) {
  auto check = [out, min, max](int64_t v, const std::string& where) -> Status {
    if (v < min || v > max) {
      return InvalidArgumentError(
          fmt::format("config key {}: {} is out of range [{}, {}]", where, v, min, max));
    }
    *out = static_cast<Int>(v);
    return Status::Ok();
  };
  return {[check](const toml::node& n, const std::string& where) -> Status {
            auto v = n.value<int64_t>();
            if (!v || !n.is_integer()) return TypeError(where, "an integer");
            return check(*v, where);
          },
          [check](const std::string& text, const std::string& where) -> Status {
            try {
              size_t used = 0;
              int64_t v = std::stoll(text, &used);
              if (used != text.size()) return TypeError(where, "an integer");
              return check(v, where);
            } catch (const std::exception&) {
              return TypeError(where, "an integer");
            }
          }};
}

// Applies every key of `table` through `fields`; a key with no field is
// "unknown config key <section>.<key>".
Status ApplyTable(const toml::table& table, FieldMap fields, const std::string& section);

// One [[contracts]] entry (contract_config.cc).
Status ParseContract(const toml::table& table, const std::string& where, ContractConfig& out);
// The [[contracts]] entries against each other and the chains.
Status ValidateContracts(const Config& config);
// Makes each contract's relative `abi` path relative to the directory of
// `source` (the config file; the working directory when `source` is not a
// file) and checks that the file can be read.
Status ResolveContractFiles(Config& config, const std::string& source);

}  // namespace chainflow::engine::core::config_internal
