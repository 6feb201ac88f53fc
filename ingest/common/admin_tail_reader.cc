#include "ingest/common/admin_tail_reader.h"

#include <fmt/format.h>

namespace chainflow::ingest::common {

AdminTailReader::AdminTailReader(log::Admin& admin, std::string topic)
    : admin_(admin), topic_(std::move(topic)) {}

core::Result<std::optional<Position>> AdminTailReader::LastPosition(core::PartitionId partition) {
  ASSIGN_OR_RETURN(std::optional<log::Record> last, admin_.ReadLastRecord(topic_, partition));
  if (!last) return std::optional<Position>();
  const std::string* header = last->FindHeader(kPositionHeader);
  if (header == nullptr) {
    return core::DataLossError(fmt::format("{}/{}/{}: last record has no {} header", topic_,
                                           partition.value(), last->offset.value(),
                                           kPositionHeader));
  }
  auto pos = Position::Parse(*header);
  if (!pos) {
    return core::DataLossError(fmt::format("{}/{}/{}: {}", topic_, partition.value(),
                                           last->offset.value(), pos.error().message()));
  }
  return std::optional<Position>(pos.value());
}

core::Result<std::vector<std::string>> AdminTailReader::LastValues(core::PartitionId partition,
                                                                   size_t count) {
  ASSIGN_OR_RETURN(std::vector<log::Record> records,
                   admin_.ReadLastRecords(topic_, partition, count));
  std::vector<std::string> values;
  values.reserve(records.size());
  for (log::Record& r : records) values.push_back(std::move(r.value));
  return values;
}

}  // namespace chainflow::ingest::common
