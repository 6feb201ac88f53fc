#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chainflow/v1/events.pb.h"
#include "engine/core/status.h"
#include "engine/log/record.h"
#include "engine/state/state_view.h"

namespace chainflow::engine::runtime {

// The payload an Envelope's wire bytes hold, read from its top-level field
// tags alone (no parse): the last field of the `payload` oneof, as a parse
// would keep. PAYLOAD_NOT_SET when there is none or the bytes are not a
// well-formed message at the top level; the full parse then decides.
v1::Envelope::PayloadCase PeekPayload(std::string_view bytes);

// One output event of a processor. The runtime sets envelope.id to the
// deterministic "<source topic>/<partition>/<offset>/<seq>", places the
// record by PartitionForKey(key), and adds CloudEvents headers.
struct OutputEvent {
  std::string topic;      // full topic name
  std::string key;        // e.g. "mainnet:0x57a2...:1234"
  v1::Envelope envelope;  // payload set, id left empty
  std::string ce_type;    // e.g. "chainflow.nft.OwnerChanged"
  int64_t event_time = 0; // seconds (block timestamp)
  // Broadcast: one copy to EVERY partition of `topic`, in partition order,
  // all with the same id and key (the key then does not place the record).
  // For block markers forwarded to a repartition topic, so every downstream
  // task sees event time and reorgs (DESIGN.md §4).
  bool all_partitions = false;
  // When set, the record's id instead of "<topic>/<partition>/<offset>/<seq>".
  // For outputs of timers: the input record that moves event time past a
  // deadline depends on how the task's sources interleave, so a processor
  // firing a timer names its outputs by what they are (e.g.
  // "intent/<id>/approved"), and a redone batch reproduces the same ids.
  std::string id;
  // When set, the record's value is this JSON text (content-type
  // application/json) instead of the serialized envelope, which is then not
  // sent: for topics whose consumers asked for JSON (a contract's
  // `format = "json"`).
  std::optional<std::string> json;
  // When set (and `json` is not), the record's value is these bytes: the
  // envelope serialized by the processor, its id `id` (a processor that
  // forwards a big input message as it is, without copying it into
  // `envelope`).
  std::optional<std::string> serialized;
};

// Collects the outputs of the record being applied. Not thread-safe.
class Emitter {
 public:
  virtual ~Emitter() = default;
  virtual void Emit(OutputEvent event) = 0;
};

// The record being applied, decoded.
struct InputEvent {
  const log::Record& record;
  const v1::Envelope& envelope;
};

// One state key a reverted block had written, as the runtime restores it
// (undo_log.h). Valid only during the Retract call.
struct RevertedWrite {
  std::string_view key;
  // The value the reverted block left (being retracted); nullopt: absent.
  const std::optional<std::string>& reverted;
  // The value before the block first wrote the key, now restored; nullopt:
  // the key did not exist and has been deleted.
  const std::optional<std::string>& restored;
  // Timestamp of the reverted block's events: the retraction's event time.
  uint64_t block_timestamp = 0;
};

// A stateful processor: a pure function of (state, input event). It must
// not read the wall clock, randomness or unordered-container iteration
// order (DESIGN.md §1.2). One instance serves one task (one input
// partition); the runtime calls it from that task's thread only.
class Processor {
 public:
  virtual ~Processor() = default;

  // Stable name: state directory, consumer group, metrics label.
  virtual std::string Name() const = 0;

  // Applies one event. State changes go to `state`, outputs to `out`.
  // InvalidArgument / OutOfRange mean the record is poison: the runtime
  // drops this record's state writes and outputs and dead-letters it.
  // Any other error fails the batch (retried or fatal per the supervisor).
  virtual core::Status Apply(const InputEvent& event, state::StateView& state,
                             Emitter& out) = 0;

  // True for payloads this processor never acts on: Apply would return Ok
  // with no state write and no output. The runtime then skips such records
  // unparsed (it reads only which payload a record holds). Block markers
  // (BlockEnd, BlockReverted) are never skipped, whatever this says.
  // Default: none, every record is parsed and applied.
  virtual bool Ignores(v1::Envelope::PayloadCase payload) const {
    (void)payload;
    return false;
  }

  // Called by the runtime on BlockReverted, once per key the reverted block
  // wrote whose value actually changes back, newest write first, AFTER the
  // runtime has restored `write.key` to `write.restored` in `state`. The
  // processor emits its retraction events to `out` (it should not write
  // state: the runtime owns undo). Then Apply sees the marker as usual.
  // Any error fails the task (a half-applied revert must never be skipped
  // as poison). Default: no retractions.
  virtual core::Status Retract(const RevertedWrite& write, const v1::BlockReverted& marker,
                               state::StateView& state, Emitter& out) {
    (void)write;
    (void)marker;
    (void)state;
    (void)out;
    return core::Status::Ok();
  }
};

// Describes a processor to the runtime: its topics and how to make one
// instance per task.
struct ProcessorSpec {
  std::string name;
  std::vector<std::string> input_topics;
  std::vector<std::string> output_topics;
  std::function<std::unique_ptr<Processor>()> make;
  // false: one task per input partition. true: the inputs are
  // co-partitioned (same partition count, same key -> same partition
  // number), and one task reads partition n of EVERY input topic into one
  // store, so a processor can join them by key (the intents processor joins
  // balance deltas and user events of an account).
  bool co_partitioned = false;
  // true: the runtime keeps per-block undo records of chain events and
  // undoes a reverted block itself (undo_log.h), checking that markers come
  // in chain order. false for processors whose inputs interleave upstream
  // partitions (repartition topics: token_balances, intents): BlockReverted
  // and BlockEnd reach Apply as they come and the processor handles reorgs.
  bool per_block_undo = true;
  // Headers of each input record that its outputs carry too (the input of a
  // retraction is the BlockReverted marker): contract_events forwards
  // ingest's `cf_pos`.
  std::vector<std::string> forward_headers;
};

}  // namespace chainflow::engine::runtime
