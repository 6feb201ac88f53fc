#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.h"
#include "engine/log/record.h"
#include "projections/pg/keyed_projection.h"
#include "projections/pg/keyed_rows.h"

namespace chainflow::projections::settlements {

// The projection's name in chainflow.projection_offsets, its advisory lock,
// metrics and `chainflow rebuild --view`.
inline constexpr std::string_view kProjectionName = "settlements";

// The view's tables, in pg::TableRow::table order.
enum Table : size_t { kEpochs = 0, kEpochTotals = 1, kSettlements = 2 };

// chainflow.epochs, chainflow.epoch_totals and chainflow.settlements from
// <prefix>.settlements (projections/README.md, "Apply rules (settlements)").
// Static: lives for the program.
const pg::KeyedView& View();

// One record's rows: an EpochSettled makes its epochs row and one
// epoch_totals row per token total; an AccountSettled its settlements row;
// other payloads none. InvalidArgument when the record is not an Envelope
// or a field cannot be stored (an empty chain or one with NUL, an address
// not 20 bytes, an amount not 32 bytes (AccountSettled's debited and
// credited may also be empty: 0), a digest not 32 bytes, a number beyond
// BIGINT). Pure.
core::Result<std::vector<pg::TableRow>> DecodeRecord(const engine::log::Record& record);

}  // namespace chainflow::projections::settlements
