#include "engine/log/cloud_events.h"

#include <fmt/format.h>

namespace chainflow::engine::log {

std::vector<Header> CloudEventHeaders(CloudEvent event) {
  std::vector<Header> headers;
  headers.reserve(kCloudEventHeaderCount + 1);
  headers.push_back({"ce_specversion", "1.0"});
  headers.push_back({"ce_id", std::move(event.id)});
  headers.push_back({"ce_source", std::move(event.source)});
  headers.push_back({"ce_type", std::move(event.type)});
  headers.push_back({"ce_time", FormatRfc3339(event.time_seconds)});
  headers.push_back({"content-type", std::move(event.content_type)});
  return headers;
}

std::string FormatRfc3339(int64_t seconds) {
  // Proleptic Gregorian calendar from days since 1970-01-01 (Howard
  // Hinnant's civil_from_days); exact for any int64 second count we meet.
  int64_t days = seconds / 86400;
  int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;                                   // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);            // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                 // [0, 11]
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;                       // [1, 31]
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;                        // [1, 12]
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  // Written digit by digit: this runs once per record on the ingest and
  // processor hot paths, where fmt's format-string parsing showed in profiles.
  // Years outside 0..9999 (never met on a chain) keep fmt's output.
  if (year < 0 || year > 9999) {
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", year, month, day, rem / 3600,
                       (rem / 60) % 60, rem % 60);
  }
  std::string out = "0000-00-00T00:00:00Z";
  auto put2 = [&out](size_t at, int64_t v) {
    out[at] = static_cast<char>('0' + v / 10);
    out[at + 1] = static_cast<char>('0' + v % 10);
  };
  put2(0, year / 100);
  put2(2, year % 100);
  put2(5, month);
  put2(8, day);
  put2(11, rem / 3600);
  put2(14, (rem / 60) % 60);
  put2(17, rem % 60);
  return out;
}

}  // namespace chainflow::engine::log
