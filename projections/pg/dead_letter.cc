#include "projections/pg/dead_letter.h"

namespace chainflow::projections::pg {

core::Status SendDeadLetter(engine::log::RecordSink& dlq, const std::string& dlq_topic,
                            const engine::log::Record& record, const core::Status& why,
                            std::string_view processor) {
  engine::log::OutRecord out;
  out.topic = dlq_topic;
  out.partition = core::PartitionId(0);
  out.key = record.key;
  out.value = record.value;
  out.headers = {{"cf_error", why.ToString()},
                 {"cf_source_topic", record.topic},
                 {"cf_source_partition", std::to_string(record.partition.value())},
                 {"cf_source_offset", std::to_string(record.offset.value())},
                 {"cf_processor", std::string(processor)}};
  return dlq.Send(out);
}

}  // namespace chainflow::projections::pg
