#include "ingest/evm/gzip.h"

#include <algorithm>
#include <climits>

#include <fmt/format.h>
#include <zlib.h>

namespace chainflow::ingest::evm {
namespace {

constexpr int kGzipWindow = 15 + 16;  // zlib: a 32 KiB window, gzip wrapper only

class Inflater {
 public:
  Inflater() { ok_ = inflateInit2(&z_, kGzipWindow) == Z_OK; }
  ~Inflater() {
    if (ok_) inflateEnd(&z_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  bool ok() const { return ok_; }
  z_stream& z() { return z_; }

 private:
  z_stream z_{};
  bool ok_ = false;
};

core::Status Bad(std::string_view why) {
  return core::UnavailableError(fmt::format("gzip body: {}", why));
}

}  // namespace

core::Result<std::string> Gunzip(std::string_view data, size_t max_size) {
  if (data.size() > UINT_MAX) return Bad("compressed body over 4 GiB");
  Inflater inflater;
  if (!inflater.ok()) return core::InternalError("gzip body: inflateInit2 failed");
  z_stream& z = inflater.z();
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  std::string out;
  // Compressed JSON is typically 5-15 times smaller: start there.
  out.resize(std::min(max_size, std::max<size_t>(data.size() * 8, 4096)));
  size_t produced = 0;
  bool in_member = true;
  while (true) {
    if (produced == out.size()) {
      if (out.size() >= max_size) {
        return Bad(fmt::format("inflates past the {}-byte limit", max_size));
      }
      out.resize(std::min(max_size, out.size() * 2));
    }
    z.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    z.avail_out = static_cast<uInt>(std::min<size_t>(out.size() - produced, UINT_MAX));
    const uInt room = z.avail_out;
    int rc = inflate(&z, Z_NO_FLUSH);
    produced += room - z.avail_out;
    if (rc == Z_STREAM_END) {
      in_member = false;
      if (z.avail_in == 0) break;
      // Another member follows (gzip(1) concatenates them).
      if (inflateReset(&z) != Z_OK) return Bad("inflateReset failed");
      in_member = true;
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && z.avail_out > 0) break;  // input ended mid-member
    if (rc == Z_BUF_ERROR) continue;                  // out of room: grows above
    return Bad(z.msg != nullptr ? z.msg : fmt::format("inflate error {}", rc));
  }
  if (in_member) return Bad(fmt::format("truncated after {} compressed bytes", data.size()));
  out.resize(produced);
  return out;
}

}  // namespace chainflow::ingest::evm
