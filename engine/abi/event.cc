#include "engine/abi/event.h"

#include <map>
#include <unordered_set>

#include <fmt/format.h>

#include "engine/core/keccak.h"
#include "engine/abi/snake_case.h"

namespace chainflow::engine::abi {

core::Result<Event> MakeEvent(std::string contract, std::string name,
                              std::vector<EventParam> inputs, bool anonymous) {
  Event e;
  e.contract = std::move(contract);
  e.name = std::move(name);
  e.anonymous = anonymous;
  if (e.name.empty()) return core::InvalidArgumentError("an event without a name");
  e.signature = e.name + "(";
  std::unordered_set<std::string> names;
  for (size_t i = 0; i < inputs.size(); ++i) {
    EventParam& p = inputs[i];
    if (p.name.empty()) {
      p.name = fmt::format("arg{}", i);
      p.name_generated = true;
    }
    if (!names.insert(p.name).second) {
      return core::InvalidArgumentError(
          fmt::format("{}: two parameters named `{}`", e.DisplayName(), p.name));
    }
    e.signature += (i ? "," : "") + p.type.canonical();
    if (p.indexed) ++e.indexed_count;
  }
  e.signature += ")";
  size_t max_indexed = anonymous ? 4 : 3;
  if (e.indexed_count > max_indexed) {
    return core::InvalidArgumentError(fmt::format("{}: {} indexed parameters, at most {} fit",
                                                  e.DisplayName(), e.indexed_count, max_indexed));
  }
  e.inputs = std::move(inputs);
  e.topic0 = core::Keccak256(e.signature);
  return e;
}

core::Result<std::string> CanonicalSignature(std::string_view text) {
  size_t open = text.find('(');
  if (open == 0 || open == std::string_view::npos || !text.ends_with(")")) {
    return core::InvalidArgumentError(fmt::format("`{}` is not an event signature", text));
  }
  std::string canonical(text.substr(0, open));
  if (text.size() == open + 2) return canonical + "()";
  // The parameter list parses as an inline tuple type.
  auto list = ParseType(text.substr(open));
  if (!list.has_value()) {
    return core::InvalidArgumentError(
        fmt::format("`{}` is not an event signature: {}", text, list.error().message()));
  }
  if (list.value().kind() != TypeKind::kTuple) {
    return core::InvalidArgumentError(fmt::format("`{}` is not an event signature", text));
  }
  return canonical + list.value().canonical();
}

core::Result<std::vector<Event>> SelectEvents(const std::vector<Event>& events,
                                              const std::vector<std::string>& include) {
  if (include.empty()) return events;
  std::vector<bool> selected(events.size(), false);
  for (const std::string& entry : include) {
    bool is_signature = entry.find('(') != std::string::npos;
    std::string key = entry;
    if (is_signature) {
      ASSIGN_OR_RETURN(key, CanonicalSignature(entry));
    }
    bool matched = false;
    for (size_t i = 0; i < events.size(); ++i) {
      const Event& e = events[i];
      if ((is_signature ? e.signature : e.name) != key) continue;
      selected[i] = true;
      matched = true;
    }
    if (!matched) {
      return core::InvalidArgumentError(
          fmt::format("events include list: `{}` matches no event of the ABI", entry));
    }
  }
  std::vector<Event> out;
  for (size_t i = 0; i < events.size(); ++i) {
    if (selected[i]) out.push_back(events[i]);
  }
  return out;
}

core::Status CheckColumnNames(const Event& event) {
  std::map<std::string, const std::string*> columns;
  for (const EventParam& p : event.inputs) {
    auto [it, inserted] = columns.emplace(SnakeCase(p.name), &p.name);
    if (!inserted) {
      return core::InvalidArgumentError(
          fmt::format("{}: parameters `{}` and `{}` both become column `{}`",
                      event.DisplayName(), *it->second, p.name, it->first));
    }
  }
  return core::Status::Ok();
}

}  // namespace chainflow::engine::abi

