#pragma once

#include <memory>
#include <string>

#include "engine/abi/catalog.h"
#include "engine/core/config.h"

namespace chainflow::app {

// Exit codes: 0 ok, 1 runtime failure, 2 bad usage or configuration.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
// A stop that did not finish within [engine] stop_timeout_ms: the process
// exited without waiting for what was blocked (as safe as a crash).
inline constexpr int kExitStopTimedOut = 3;

struct Roles {
  bool ingest = false;
  bool process = false;
  bool project = false;
  bool serve = false;
};

// `run` (all roles) and the single-role commands: run until SIGINT/SIGTERM
// or until a role fails. `catalog`: the contracts' ABIs, parsed once by
// main (LoadCatalog), shared by every role.
int RunRoles(const engine::core::Config& config, Roles roles,
             std::shared_ptr<const engine::abi::Catalog> catalog);

// `replay`: append a history file, then process and project until
// everything is consumed; prints a summary. `append_only`: only append (the
// deployment's running `process` and `project` instances do the rest).
int Replay(const engine::core::Config& config, const std::string& chain,
           const std::string& path, bool append_only,
           std::shared_ptr<const engine::abi::Catalog> catalog);

// `status`: per chain and consumer, as a table (or JSON).
int PrintStatus(const engine::core::Config& config, bool json,
                std::shared_ptr<const engine::abi::Catalog> catalog);

// `state-digest`: the SHA-256 of all processor state. What it prints:
enum class DigestDetail {
  kAll,     // one digest of every store together
  kStores,  // also one line per store: "<digest>  <store dir>"
  kKeys,    // one line per digested pair: "<store dir>\t<key, hex>\t<SHA-256 of the value>"
};
int PrintStateDigest(const engine::core::Config& config, DigestDetail detail = DigestDetail::kAll);

// `rebuild`: drop derived state and views, replay them from the log.
// `view` empty: everything; "nft": only the PostgreSQL views.
int Rebuild(const engine::core::Config& config, const std::string& view);

}  // namespace chainflow::app
