#pragma once

#include <string>
#include <string_view>

#include "engine/core/status.h"
#include "engine/log/record.h"
#include "engine/log/sink.h"

namespace chainflow::projections::pg {

// Sends `record`, which a projection could not decode, to `dlq_topic`
// (partition 0) through `dlq` with its key and value and the headers
// cf_error (`why`), cf_source_topic, cf_source_partition, cf_source_offset
// and cf_processor = `processor` (e.g. "projection_nft"). Does not flush.
core::Status SendDeadLetter(engine::log::RecordSink& dlq, const std::string& dlq_topic,
                            const engine::log::Record& record, const core::Status& why,
                            std::string_view processor);

}  // namespace chainflow::projections::pg
