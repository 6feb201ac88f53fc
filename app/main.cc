// chainflow: one binary, every role (DESIGN.md §2-3).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/commands.h"
#include "app/shutdown.h"
#include "engine/core/config.h"
#include "engine/core/logging.h"

namespace {

using chainflow::engine::core::Config;

struct Common {
  std::string config_path;
  std::string log_level = "info";
};

void AddCommon(CLI::App* cmd, Common& common) {
  cmd->add_option("-c,--config", common.config_path, "configuration file (TOML)")->required();
  cmd->add_option("--log-level", common.log_level, "trace|debug|info|warn|error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
}

}  // namespace

int main(int argc, char** argv) {
  namespace app = chainflow::app;
  CLI::App cli{"chainflow: event-sourced stream processing for blockchain data"};
  cli.require_subcommand(1);
  Common common;

  struct RoleCommand {
    const char* name;
    const char* help;
    app::Roles roles;
  };
  const RoleCommand role_commands[] = {
      {"run", "run every role in one process until stopped", {true, true, true, true}},
      {"ingest", "run chain ingest only", {.ingest = true}},
      {"process", "run the stateful processors only", {.process = true}},
      {"project", "run the PostgreSQL projections only", {.project = true}},
      {"serve", "run the HTTP API only", {.serve = true}},
  };
  std::vector<std::pair<CLI::App*, app::Roles>> role_apps;
  for (const auto& rc : role_commands) {
    CLI::App* cmd = cli.add_subcommand(rc.name, rc.help);
    AddCommon(cmd, common);
    role_apps.emplace_back(cmd, rc.roles);
  }

  std::string chain, from_file;
  CLI::App* replay = cli.add_subcommand("replay", "append a history file and process it");
  AddCommon(replay, common);
  replay->add_option("--chain", chain, "chain name from the configuration")->required();
  replay->add_option("--from-file", from_file, "NDJSON file, one eth_getLogs log a line")
      ->required();
  bool append_only = false;
  replay->add_flag("--append-only", append_only,
                   "only append the file; running process/project instances do the rest");

  std::string view;
  CLI::App* rebuild = cli.add_subcommand("rebuild", "drop derived state and views, replay them");
  AddCommon(rebuild, common);
  rebuild->add_option("--view", view,
                     "rebuild only this PostgreSQL view (nft, token, intents, settlements, "
                     "accruals, contract.<name>) from its topic");

  bool json = false;
  CLI::App* status = cli.add_subcommand("status", "ingest, processor and projection progress");
  AddCommon(status, common);
  status->add_flag("--json", json, "print JSON instead of a table");

  CLI::App* digest = cli.add_subcommand("state-digest", "hash of all processor state");
  AddCommon(digest, common);
  bool digest_stores = false;
  bool digest_keys = false;
  digest->add_flag("--stores", digest_stores, "also one digest per store (task)");
  digest->add_flag("--keys", digest_keys,
                   "instead, one line per key: store, key (hex), SHA-256 of its value");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version print and succeed; any other parse error is bad
    // usage, exit 2 as the README says (CLI11's own codes run from 100 up).
    const int printed = cli.exit(e);
    return printed == 0 ? app::kExitOk : app::kExitUsage;
  }

  chainflow::engine::core::SetLogLevel(common.log_level);
  auto config = Config::Load(common.config_path, chainflow::engine::core::ProcessEnvironment());
  if (!config.has_value()) {
    fmt::print(stderr, "chainflow: configuration error: {}\n", config.error().message());
    return app::kExitUsage;
  }
  // The contracts' ABIs are part of the configuration: one that does not
  // parse (or an `events` entry it lacks) is a configuration error, found
  // here before anything connects. Parsed once; every role shares the result.
  std::shared_ptr<const chainflow::engine::abi::Catalog> catalog;
  if (!digest->parsed()) {
    auto loaded = chainflow::engine::abi::Catalog::Load(config.value());
    if (!loaded.has_value()) {
      fmt::print(stderr, "chainflow: configuration error: {}\n", loaded.error().message());
      return app::kExitUsage;
    }
    catalog = std::move(loaded).value();
  }
  app::InstallShutdownHandlers();

  for (auto& [cmd, roles] : role_apps) {
    if (cmd->parsed()) return app::RunRoles(config.value(), roles, catalog);
  }
  if (replay->parsed()) {
    return app::Replay(config.value(), chain, from_file, append_only, catalog);
  }
  if (rebuild->parsed()) return app::Rebuild(config.value(), view);
  if (status->parsed()) return app::PrintStatus(config.value(), json, catalog);
  if (digest->parsed()) {
    return app::PrintStateDigest(config.value(), digest_keys     ? app::DigestDetail::kKeys
                                                 : digest_stores ? app::DigestDetail::kStores
                                                                 : app::DigestDetail::kAll);
  }
  return app::kExitUsage;
}
