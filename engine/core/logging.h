#pragma once

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace chainflow::engine::core {

// The named logger of a component ("engine.state", "ingest.evm"), created on
// first use with the process-wide sink and level. Thread-safe.
std::shared_ptr<spdlog::logger> Logger(const std::string& name);

// Sets the level of every logger, present and future ("info", "debug", ...).
void SetLogLevel(const std::string& level);

}  // namespace chainflow::engine::core
