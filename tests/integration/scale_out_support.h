#pragma once

// What the tests that run several `chainflow process` instances of one
// deployment share (scale_out_test, standby_test): starting instances,
// feeding them slices of a history, waiting until they have caught up, and
// the checks against a clean single-instance run (output ids once, table
// digests). Compiled into each test binary that uses it (GEN_USER_EVENTS_BINARY
// is the binary's own definition).
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/integration/pipeline_fixture.h"
#include "tests/support/subprocess.h"

namespace chainflow::testing {

// The [intents] section for a gen_history ERC-20 history on chain
// "mainnet": intents approved there, daily accruals of gen_history's first
// token at 5 basis points.
std::string GeneratedHistoryIntentsToml();

// Appends the same intents and clock ticks (gen_user_events' fixed seed)
// for `history` to the deployment's user events topic (gtest assertions).
void AppendUserEvents(const PipelineEnv& env, const std::string& history, int intents,
                      int epochs);

// The records on every output topic of a deployment, read read_committed
// with kcat.
struct Outputs {
  // topic suffix -> "<partition>:<ce_id>" (a marker or mark fanned out to
  // every partition has one id on each)
  std::map<std::string, std::set<std::string>> ids;
  // "<topic suffix> <ce_type>" -> records
  std::map<std::string, size_t> of_type;
};
// Every output topic of `env`. A record seen twice is reported and fails
// the test.
Outputs ReadOutputs(const PipelineEnv& env);

// A table's rows as one digest (every column, in a fixed order).
std::string TableDigest(const PipelineEnv& env, const std::string& table);

// The verifier against a clean run of the same input in a deployment of its
// own (gtest expectations): each of `tables` (in schema chainflow) has the
// clean run's rows, and every output topic holds each record once, the same
// record ids as the clean run's (token.balances: as many; its ids name
// token.deltas offsets, where the splitter tasks' appends interleave
// differently in every run) and as many records of each type. Prints a line
// per topic tagged "[ <tag> ]". Returns both runs' outputs, `env`'s first.
std::pair<Outputs, Outputs> ExpectLikeCleanRun(const PipelineEnv& env, const PipelineEnv& clean,
                                               const std::vector<std::string>& tables,
                                               const std::string& tag);

// Splits the history at block boundaries into `n` files (`<path>.part<i>`)
// of about equal line counts, in chain order. Returns their paths (empty on
// failure).
std::vector<std::string> SplitByBlock(const std::string& path, int n);

// The state dir of instance `id` of `env`: `<state dir>.<id>`.
std::string InstanceStateDir(const PipelineEnv& env, const std::string& id);

// A `process` instance of `env` with a state dir of its own, the instance id
// "so-<id>" unless `env_vars` names one (a three-letter prefix and the id:
// OwnedStores reads them back), and `env_vars` (e.g.
// CHAINFLOW_ENGINE_SESSION_TIMEOUT_MS).
std::unique_ptr<Subprocess> StartInstance(const PipelineEnv& env, const std::string& id,
                                          const std::map<std::string, std::string>& env_vars);

// Processor lag summed over every partition, how many partitions had no
// owner, and the offsets open transactions hold back on every consumed
// partition (processors' and projections'), from `chainflow status --json`;
// nullopt when it failed.
struct ProcessorLag {
  int64_t records = 0;
  int unowned = 0;
  int64_t held = 0;
};
std::optional<ProcessorLag> ReadProcessorLag(const PipelineEnv& env);

// Waits until the processors have no lag, no open transaction holds
// anything back and every partition has an owner, twice in a row a second
// apart; false after `timeout`. Lag counts to the last stable offset, so
// after a SIGKILL what the others commit behind the dead instance's open
// transactions is not lag until the broker aborts those (10-20 s): the
// held offsets cover that.

bool WaitUntilCaughtUp(const PipelineEnv& env, std::chrono::milliseconds timeout,
                       std::optional<ProcessorLag>* last = nullptr);

// The store directories (relative to an instance's state dir) of the tasks
// each instance (by its id, the instance id without its three-letter
// prefix) owns, from `chainflow status --json`.
std::map<std::string, std::set<std::string>> OwnedStores(const PipelineEnv& env);

// `chainflow state-digest --stores` of a state dir: store -> digest.
std::map<std::string, std::string> StoreDigests(const PipelineEnv& env,
                                                const std::string& state_dir);

// Appends one slice of a history with `replay --append-only` (only appends:
// the instances process it; gtest assertions).
void AppendSlice(const PipelineEnv& env, const std::string& part);

}  // namespace chainflow::testing
