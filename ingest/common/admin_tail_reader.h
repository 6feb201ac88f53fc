#pragma once

#include <optional>
#include <string>

#include "engine/log/admin.h"
#include "ingest/common/appender.h"

namespace chainflow::ingest::common {

// The Kafka implementation: log::Admin::ReadLastRecord + parse `cf_pos`. A
// last record without a parsable `cf_pos` is DataLoss (someone else writes to
// our topic). `admin` must outlive this object. Thread-compatible.
class AdminTailReader : public PartitionTailReader {
 public:
  AdminTailReader(log::Admin& admin, std::string topic);
  core::Result<std::optional<Position>> LastPosition(core::PartitionId partition) override;
  core::Result<std::vector<std::string>> LastValues(core::PartitionId partition,
                                                    size_t count) override;

 private:
  log::Admin& admin_;
  std::string topic_;
};

}  // namespace chainflow::ingest::common
