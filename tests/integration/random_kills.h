#pragma once

// SIGKILLs from outside at seeded random moments, shared by the tests that
// replay a history into one deployment, kill it repeatedly and then let a
// last run finish (exactly_once_money_test, exactly_once_intents_test).
//
// The delays come from a seeded std::mt19937, printed at the start;
// CHAINFLOW_KILL_SEED=<n> repeats a run's delays (not its timing: where a
// kill lands also depends on the machine's speed).
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/integration/pipeline_fixture.h"

namespace chainflow::testing {

// How far a deployment got, from `chainflow status --json`.
struct ReplayProgress {
  bool done = false;               // every event appended, every consumer at its end
  int64_t processed = 0;           // input records the processors have consumed
  int64_t to_process = 0;          // the processors' input ends, summed
  bool processors_behind = false;  // some processor short of its input's end
  std::string summary;             // one line: the chain's block, each consumer's position
};
// `last_block`: the history's last block (ingest is done when it reaches it).
ReplayProgress ReadReplayProgress(const PipelineEnv& env, int64_t last_block);

struct KillPlan {
  std::string tag;      // printed as "[ <tag> ]"
  int max_runs = 24;    // stops at the first run that finishes before its kill
  int min_delay_ms = 300;
  int max_delay_ms = 2500;
  // After a run that did not move the processors (start-up took longer on a
  // loaded machine), the delays stretch by half, up to this many times; after
  // one that did, they shrink by as much, back to 1, and straight back to 1
  // after one that did more than a fifth of the processors' work (a fast
  // machine: stretched delays would finish the work before enough kills).
  double max_stretch = 6.0;
  // > 0: no more kills once this many left work behind and
  // `enough_mid_processing` of them landed while the processors moved (a
  // history with much work otherwise gets up to max_runs kills, each costing
  // a start-up).
  int enough_mid_work = 0;
  int enough_mid_processing = 0;
};

struct KillTally {
  int mid_work = 0;        // kills that left work behind
  int mid_processing = 0;  // of those, kills while the processors were moving
};

// Runs `chainflow <args>` of `env` up to plan.max_runs times, SIGKILLing
// each after a delay drawn uniformly in [min_delay_ms, max_delay_ms]
// (stretched as above), until one exits by itself or leaves nothing to do;
// prints what each run left behind.
KillTally KillAtRandomMoments(const PipelineEnv& env, const std::vector<std::string>& args,
                              int64_t last_block, const KillPlan& plan);

}  // namespace chainflow::testing
