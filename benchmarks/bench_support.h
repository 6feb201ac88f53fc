#pragma once

// What the in-process benchmarks share: a sink that discards, and a
// temporary state directory.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

#include <benchmark/benchmark.h>

#include "engine/log/sink.h"

namespace chainflow::benchmarks {

// Accepts every record and keeps none (the serialization is still paid).
class DiscardSink : public engine::log::RecordSink {
 public:
  core::Status Send(const engine::log::OutRecord& record) override {
    benchmark::DoNotOptimize(record.value.data());
    return core::Status::Ok();
  }
  core::Status Flush(std::chrono::milliseconds) override { return core::Status::Ok(); }
};

// A fresh directory under the system temp directory, removed when it goes.
struct TempDir {
  TempDir()
      : path(std::filesystem::temp_directory_path() /
             ("chainflow_bench_" + std::to_string(::getpid()) + "_" + std::to_string(++n))) {
    std::filesystem::remove_all(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::filesystem::path path;
  static inline int n = 0;
};

}  // namespace chainflow::benchmarks
