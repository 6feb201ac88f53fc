#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/multiprecision/cpp_int.hpp>
#include <gtest/gtest.h>

#include "tests/support/subprocess.h"

namespace boost::json {
class array;
class object;
}  // namespace boost::json

namespace chainflow::testing {

// One isolated chainflow deployment on the real local infrastructure that
// ops/infra starts: its own topic prefix, state dir, PostgreSQL database and
// API port, so tests never see each other's data. Writes a config file.
class PipelineEnv {
 public:
  // `name` becomes part of the prefix/db; `partitions` of created topics.
  // The config has a chain "mainnet" without [[contracts]] (every standard
  // token event; what the file replays use) unless `with_mainnet` is false,
  // then only the chains of `extra_toml`. `engine_toml`: more [engine] keys.
  explicit PipelineEnv(const std::string& name, int partitions = 8, int batch_size = 5000,
                       const std::string& extra_toml = "", bool with_mainnet = true,
                       const std::string& engine_toml = "");
  ~PipelineEnv();

  const std::string& config_path() const { return config_path_; }
  const std::string& prefix() const { return prefix_; }
  const std::string& db_url() const { return db_url_; }
  const std::string& state_dir() const { return state_dir_; }
  int api_port() const { return api_port_; }

  // Runs `chainflow <args...> -c <config>`; extra environment in `env`.
  RunResult Chainflow(std::vector<std::string> args, std::map<std::string, std::string> env = {},
                      std::chrono::milliseconds timeout = std::chrono::minutes(10)) const;
  std::vector<std::string> Argv(std::vector<std::string> args) const;

  // The state digest printed by `chainflow state-digest`.
  std::string Digest() const;
  // nft_owners as "contract:token_id" -> owner.
  std::map<std::string, std::string> NftOwners(const std::string& chain) const;
  // A single-value SQL query's result as text.
  std::string QueryScalar(const std::string& sql) const;

  // True when Kafka (127.0.0.1:9092) and PostgreSQL (5433) answer.
  static bool InfraAvailable(std::string* why);

 private:
  std::string name_;
  std::string prefix_;
  std::string db_name_;
  std::string db_url_;
  std::string state_dir_;
  std::string config_path_;
  int api_port_;
};

std::string SharedData(const std::string& relative);

// One line per record of every partition of `topic` (empty lines left
// out), read with kcat (a client that knows nothing of chainflow) from the
// start to the current end. `format` is kcat's -f without the newline, e.g.
// "%k" (keys) or "%h" (headers).
std::vector<std::string> KcatLines(const std::string& topic, const std::string& format);

// Every log of a history file with four topics (ERC-721 Transfer, ERC-1155
// TransferSingle and TransferBatch), in file order with its 1-based line
// number, parsed with Boost.JSON (not the product's decoder); stops when `fn`
// returns false. Other lines, and lines that are not JSON objects, are
// skipped.
void ForEachFourTopicLog(const std::string& path,
                         const std::function<bool(const boost::json::object& log,
                                                  const boost::json::array& topics,
                                                  size_t line_number)>& fn);

// Expected final owner of every token computed independently from a history
// file: the `to` of each token's last ERC-721 Transfer, parsed with
// Boost.JSON (not the product's decoder). "contract:token_id" -> owner.
std::map<std::string, std::string> ExpectedOwnersFromFile(const std::string& path);

// KcatLines with extra kcat arguments before the format, e.g.
// {"-X", "isolation.level=read_committed"} to read as a transactional
// consumer would (only committed records, up to the last stable offset).
std::vector<std::string> KcatLinesWith(const std::string& topic, const std::string& format,
                                       const std::vector<std::string>& extra_args);

// The value of header `name` in one line of kcat's "%h" output
// ("k1=v1,k2=v2,..."), or nullopt when the record has no such header.
// Values must not contain ',' (true of the CloudEvents headers chainflow
// writes: ids, types, sources, times).
std::optional<std::string> KcatHeader(const std::string& kcat_headers, const std::string& name);

// Expected ERC-20 state computed independently from a history file: the
// 3-topic Transfer logs with a 32-byte value, parsed with Boost.JSON and
// summed with boost::multiprecision (not the product's decoder or
// arithmetic). Addresses are lower-case 0x-hex; amounts decimal strings,
// negative ("-5") when the file debits more than it credits (partial
// history). Other logs (ERC-721 Transfers, 4 topics) are left out.
// Every ERC-20 Transfer (3 topics, a uint256 in data) of a history file,
// added up with Boost.JSON and cpp_int (not the product's decoder or
// arithmetic): per (token, account) credits minus debits, per token mints
// (from the zero address) minus burns (to it). Nets of zero are kept.
struct Erc20Nets {
  std::map<std::pair<std::string, std::string>, boost::multiprecision::cpp_int> balances;
  std::map<std::string, boost::multiprecision::cpp_int> supply;
  size_t transfers = 0;
};
Erc20Nets Erc20NetsFromFile(const std::string& path);

// The same as decimal strings, nets of zero left out.
struct Erc20Expectation {
  // (token, account) -> credits minus debits; zero address left out, and so
  // are nets of exactly zero.
  std::map<std::pair<std::string, std::string>, std::string> balances;
  // token -> mints (from the zero address) minus burns (to it).
  std::map<std::string, std::string> supply;
  size_t transfers = 0;
};
Erc20Expectation ExpectedErc20FromFile(const std::string& path);

// chainflow.token_balances of `chain` as (token, account) -> balance
// (decimal), and chainflow.token_supply as token -> total supply.
std::map<std::pair<std::string, std::string>, std::string> ViewTokenBalances(
    const PipelineEnv& env, const std::string& chain);
std::map<std::string, std::string> ViewTokenSupply(const PipelineEnv& env,
                                                   const std::string& chain);

}  // namespace chainflow::testing
