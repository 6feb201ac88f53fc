#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.h"
#include "engine/log/record.h"
#include "projections/pg/keyed_projection.h"
#include "projections/pg/keyed_rows.h"

namespace chainflow::projections::accruals {

// The projection's name in chainflow.projection_offsets, its advisory lock,
// metrics and `chainflow rebuild --view`.
inline constexpr std::string_view kProjectionName = "accruals";

// chainflow.accruals from <prefix>.accruals (projections/README.md, "Apply
// rules (accruals)"). Static: lives for the program.
const pg::KeyedView& View();

// One record's rows: an AccrualRecorded makes its accruals row (table 0);
// other payloads none. InvalidArgument when the record is not an Envelope
// or a field cannot be stored (an empty chain or one with NUL, an address
// not 20 bytes, an amount not 32 bytes, a carry of 10000 or more, a number
// beyond BIGINT). Pure.
core::Result<std::vector<pg::TableRow>> DecodeRecord(const engine::log::Record& record);

}  // namespace chainflow::projections::accruals
