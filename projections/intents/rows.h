#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/result.h"
#include "engine/log/record.h"
#include "projections/pg/keyed_projection.h"
#include "projections/pg/offsets.h"

namespace chainflow::projections::intents {

// A row of chainflow.intents, as the text PostgreSQL receives.
struct IntentRow {
  std::string intent_id;  // 32 lowercase hex digits
  std::string chain;
  std::string token;   // lowercase 0x hex
  std::string payer;   // lowercase 0x hex
  std::string payee;   // lowercase 0x hex
  std::string amount;  // decimal
  std::string kind;    // "clap" | "gift"
  std::string memo;
  std::string status;  // "submitted" | "approved" | "rejected" | "expired" | "settled"
  std::string reason;
  int64_t submitted_at = 0;               // unix seconds
  std::optional<int64_t> decided_at;      // unix seconds; none when the record has 0
  std::optional<int64_t> expires_at;      // unix seconds; none when the record has 0
  int64_t epoch = 0;
  std::optional<std::string> available;   // decimal; none when the record has no value

  // The fields in the column order of IntentColumns(), "" for none.
  std::vector<std::string> Fields() const;
};

// chainflow.intents' columns in IntentRow::Fields() order, and the ones
// that may be NULL.
const std::vector<std::string>& IntentColumns();
const std::vector<std::string>& NullableIntentColumns();

// A record that could not be decoded (InvalidArgument naming the problem).
struct Rejected {
  const engine::log::Record* record;  // points into the staged batch
  core::Status why;
};

// What a batch of <prefix>.intents records does to the view.
struct StagedBatch {
  std::vector<IntentRow> intents;  // unique by intent_id
  std::vector<Rejected> rejected;
  pg::OffsetMap next_offsets;  // one past the highest offset staged, per partition
  size_t records = 0;          // staged records (rows, rejected and ignored)
  size_t skipped = 0;          // below `applied`: already in the view
  size_t ignored = 0;          // other payloads
};

// Decodes `batch` (each partition's records in offset order), leaving out
// records below `applied`. Each IntentStatusChanged carries the whole intent
// after a transition and replaces its row; within the batch the later
// record of an intent wins, which is offset order since every record of an
// intent has the payer's key and so one partition. Records are rejected
// when they are not an Envelope, or the intent has a malformed id (not 32
// lowercase hex digits), an empty chain, an address that is not 20 bytes,
// an amount or available balance that is not 32 bytes, an unknown kind or
// status, a time or epoch beyond BIGINT, or a NUL in a text field. Pure.
// `batch` must outlive the result.
StagedBatch StageBatch(const std::vector<engine::log::Record>& batch,
                       const pg::OffsetMap& applied);

// One record as StageBatch decodes it: its row, nullopt for another
// payload, InvalidArgument for a record StageBatch rejects. Pure.
core::Result<std::optional<IntentRow>> DecodeIntent(const engine::log::Record& record);

// The view as the shared keyed runner (pg::KeyedProjection) applies it:
// name kProjectionName, table chainflow.intents keyed by intent_id, rows
// from DecodeIntent. A function-local static.
const pg::KeyedView& View();

}  // namespace chainflow::projections::intents
