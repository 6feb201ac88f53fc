#include "engine/abi/decoder.h"

#include <algorithm>

#include <fmt/format.h>

#include "engine/core/hex.h"
#include "engine/abi/internal/data_decoder.h"

namespace chainflow::engine::abi {

namespace {

core::Status ParamError(const Event& event, const EventParam& param,
                        const internal::DecodeFailure& failure, const core::Status& reason) {
  const std::string& type = failure.type.empty() ? param.type.canonical() : failure.type;
  return core::InvalidArgumentError(fmt::format("{}: parameter `{}{}` ({}): {}",
                                                event.DisplayName(), param.name, failure.path,
                                                type, reason.message()));
}

}  // namespace

EventDecoder::EventDecoder(std::vector<Event> events) : events_(std::move(events)) {
  for (size_t i = 0; i < events_.size(); ++i) {
    const Event& e = events_[i];
    Layout layout;
    uint64_t head = 0;
    for (const EventParam& p : e.inputs) {
      layout.head_pos.push_back(p.indexed ? 0 : head);
      if (!p.indexed) head += p.type.head_size();
    }
    layouts_.push_back(std::move(layout));
    if (e.anonymous) {
      anonymous_.push_back(i);
    } else {
      by_topic0_.emplace_back(e.topic0, i);
    }
  }
  std::stable_sort(by_topic0_.begin(), by_topic0_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
}

core::Status EventDecoder::DecodeInto(size_t index, std::span<const core::Bytes32> topics,
                                      std::string_view data, DecodedEvent* out) const {
  const Event& event = events_[index];
  size_t first_topic = event.anonymous ? 0 : 1;
  if (topics.size() != first_topic + event.indexed_count) {
    return core::InvalidArgumentError(fmt::format(
        "{}: {} topics, expected {} ({}{} indexed parameters)", event.DisplayName(),
        topics.size(), first_topic + event.indexed_count, event.anonymous ? "" : "topic0 + ",
        event.indexed_count));
  }
  out->event = &event;
  out->values.clear();
  out->values.resize(event.inputs.size());
  internal::DataDecoder decoder(data);
  size_t topic = first_topic;
  for (size_t i = 0; i < event.inputs.size(); ++i) {
    const EventParam& p = event.inputs[i];
    internal::DecodeFailure failure;
    core::Status s;
    if (!p.indexed) {
      s = decoder.DecodeParam(p.type, layouts_[index].head_pos[i], &out->values[i], &failure);
    } else if (p.type.is_elementary()) {
      s = internal::DecodeWord(p.type, topics[topic++].data(), &out->values[i], &failure);
    } else {
      out->values[i].v = TopicHashValue{topics[topic++]};
    }
    if (!s.ok()) return ParamError(event, p, failure, s);
  }
  return core::Status::Ok();
}

const Event* EventDecoder::Find(std::string_view signature) const {
  for (const Event& e : events_) {
    if (e.signature == signature) return &e;
  }
  return nullptr;
}

core::Result<DecodedEvent> EventDecoder::DecodeAs(size_t index,
                                                  std::span<const core::Bytes32> topics,
                                                  std::string_view data) const {
  DecodedEvent out;
  RETURN_IF_ERROR(DecodeInto(index, topics, data, &out));
  return out;
}

core::Result<DecodedEvent> EventDecoder::Decode(std::span<const core::Bytes32> topics,
                                                std::string_view data) const {
  DecodedEvent out;
  RETURN_IF_ERROR(Decode(topics, data, &out));
  return out;
}

core::Status EventDecoder::Decode(std::span<const core::Bytes32> topics, std::string_view data,
                                  DecodedEvent* out) const {
  if (!topics.empty()) {
    auto [begin, end] = std::equal_range(
        by_topic0_.begin(), by_topic0_.end(), std::make_pair(topics[0], size_t{0}),
        [](const auto& a, const auto& b) { return a.first < b.first; });
    core::Status first_error;
    bool first_had_topics = false;
    for (auto it = begin; it != end; ++it) {
      core::Status s = DecodeInto(it->second, topics, data, out);
      if (s.ok()) return s;
      bool had_topics = topics.size() == 1 + events_[it->second].indexed_count;
      if (first_error.ok() || (had_topics && !first_had_topics)) {
        first_error = s;
        first_had_topics = had_topics;
      }
    }
    if (!first_error.ok()) return first_error;
  }
  for (size_t index : anonymous_) {
    if (events_[index].indexed_count != topics.size()) continue;
    if (DecodeInto(index, topics, data, out).ok()) return core::Status::Ok();
  }
  std::string contract = events_.empty() ? "the ABI" : events_[0].contract;
  return core::NotFoundError(fmt::format(
      "no event of {} matches the log (topic0 {}, {} topics)", contract,
      topics.empty() ? std::string("none") : core::ToHex(topics[0]), topics.size()));
}

}  // namespace chainflow::engine::abi
