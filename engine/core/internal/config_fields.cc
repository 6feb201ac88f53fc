#include "engine/core/internal/config_fields.h"

#include <sstream>

namespace chainflow::engine::core::config_internal {

Status TypeError(const std::string& where, std::string_view want) {
  return InvalidArgumentError(fmt::format("config key {}: expected {}", where, want));
}

Field StringField(std::string* out) {
  return {[out](const toml::node& n, const std::string& where) -> Status {
            auto v = n.value<std::string>();
            if (!v) return TypeError(where, "a string");
            *out = *v;
            return Status::Ok();
          },
          [out](const std::string& text, const std::string&) -> Status {
            *out = text;
            return Status::Ok();
          }};
}

Field AddressField(Address* out) {
  auto set = [out](const std::string& text, const std::string& where) -> Status {
    auto a = Address::FromHex(text);
    if (!a) return a.error().WithContext(fmt::format("config key {}", where));
    *out = a.value();
    return Status::Ok();
  };
  return {[set](const toml::node& n, const std::string& where) -> Status {
            auto v = n.value<std::string>();
            if (!v) return TypeError(where, "an address string");
            return set(*v, where);
          },
          set};
}

namespace {

// The strings of a string or an array of strings; nullopt for other nodes.
std::optional<std::vector<std::string>> Strings(const toml::node& n) {
  if (auto v = n.value<std::string>(); v && n.is_string()) return std::vector<std::string>{*v};
  const toml::array* array = n.as_array();
  if (!array) return std::nullopt;
  std::vector<std::string> out;
  for (const toml::node& item : *array) {
    auto v = item.value<std::string>();
    if (!v || !item.is_string()) return std::nullopt;
    out.push_back(*v);
  }
  return out;
}

std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

}  // namespace

Field StringListField(std::vector<std::string>* out) {
  return {[out](const toml::node& n, const std::string& where) -> Status {
            auto v = Strings(n);
            if (!v) return TypeError(where, "a string or an array of strings");
            *out = std::move(*v);
            return Status::Ok();
          },
          [out](const std::string& text, const std::string&) -> Status {
            *out = Words(text);
            return Status::Ok();
          }};
}

Field AddressListField(std::vector<Address>* out) {
  auto set = [out](const std::vector<std::string>& texts, const std::string& where) -> Status {
    std::vector<Address> addresses;
    for (size_t i = 0; i < texts.size(); ++i) {
      auto a = Address::FromHex(texts[i]);
      if (!a) {
        return a.error().WithContext(
            texts.size() == 1 ? fmt::format("config key {}", where)
                              : fmt::format("config key {}[{}]", where, i));
      }
      addresses.push_back(a.value());
    }
    *out = std::move(addresses);
    return Status::Ok();
  };
  return {[set](const toml::node& n, const std::string& where) -> Status {
            auto v = Strings(n);
            if (!v) return TypeError(where, "an address string or an array of them");
            return set(*v, where);
          },
          [set](const std::string& text, const std::string& where) -> Status {
            return set(Words(text), where);
          }};
}

// Errors name the key, never a value (values may be secrets).
Field StringMapField(std::map<std::string, std::string>* out) {
  return {[out](const toml::node& n, const std::string& where) -> Status {
            const toml::table* t = n.as_table();
            if (t == nullptr) return TypeError(where, "a table of strings");
            out->clear();
            for (const auto& [key, value] : *t) {
              auto v = value.value<std::string>();
              if (!v) return TypeError(fmt::format("{}.{}", where, key.str()), "a string");
              (*out)[std::string(key.str())] = *v;
            }
            return Status::Ok();
          },
          [out](const std::string& text, const std::string& where) -> Status {
            out->clear();
            std::istringstream pairs(text);
            std::string pair;
            while (std::getline(pairs, pair, ';')) {
              if (pair.empty()) continue;
              size_t eq = pair.find('=');
              if (eq == std::string::npos || eq == 0) {
                return TypeError(where, "name=value pairs separated by ';'");
              }
              (*out)[pair.substr(0, eq)] = pair.substr(eq + 1);
            }
            return Status::Ok();
          }};
}

Status ApplyTable(const toml::table& table, FieldMap fields, const std::string& section) {
  for (const auto& [key, node] : table) {
    std::string where = fmt::format("{}.{}", section, key.str());
    auto it = fields.find(std::string(key.str()));
    if (it == fields.end()) {
      return InvalidArgumentError(fmt::format("unknown config key {}", where));
    }
    RETURN_IF_ERROR(it->second.from_toml(node, where));
  }
  return Status::Ok();
}

}  // namespace chainflow::engine::core::config_internal
