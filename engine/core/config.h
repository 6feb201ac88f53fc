#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/address.h"
#include "engine/core/result.h"

namespace chainflow::engine::core {

// The whole configuration: one TOML file (DESIGN.md §3), every key
// overridable by an environment variable CHAINFLOW_<SECTION>_<KEY>
// (CHAINFLOW_CHAINS_<NAME>_<KEY> for a chain, '-' in the name written '_').
// Validated once by Load(); components receive the plain struct (or their
// part of it) by const&.

struct KafkaConfig {
  std::string brokers = "127.0.0.1:9092";
  std::string topic_prefix = "cf";
  int partitions = 8;              // partitions of topics chainflow creates
  int replication_factor = 1;
  // Producer compression: none | lz4 | zstd | snappy | gzip. On loopback
  // lz4 and none measured the same (1M-transfer replay, 33-37k events/s).
  std::string compression = "lz4";
  // "exactly_once": processors commit outputs, changelogged state and input
  // offsets in one Kafka transaction (engine/runtime/README.md).
  // "at_least_once": flush outputs, then commit state; a crash in between
  // re-sends a batch's outputs (same ids), which additive consumers count
  // twice. For brokers without transactions.
  std::string processing_guarantee = "exactly_once";
};

struct PostgresConfig {
  std::string url = "postgresql://chainflow@127.0.0.1:5433/chainflow";
  int pool_size = 4;
};

struct StateConfig {
  std::string dir = "var/state";
};

struct ApiConfig {
  std::string listen = "127.0.0.1:8080";
  int threads = 2;
};

struct EngineConfig {
  int batch_size = 20000;    // max records a runner applies per transaction
  int batch_wait_ms = 50;    // max wait to fill a batch
  // processors: poll on to blocks' ends, each poll waiting this long (0: off)
  int batch_linger_ms = 0;
  // Loop threads per processor, each with its own consumer and producer over
  // the input partitions numbered p with p % threads == its index. One
  // thread waits for acknowledgements or RocksDB while another applies.
  int processor_threads = 2;
  // Under exactly_once every loop thread is a member of its processor's
  // consumer group `chainflow.<topic_prefix>.<processor>`, and instances of
  // one deployment share the tasks. This instance's name in the group (its
  // static membership and transactional ids): stable across restarts, so a
  // restarted instance takes its tasks back at once and fences what its
  // predecessor left open; distinct per instance. "": derived from the host
  // name and the absolute state.dir (one state dir per instance).
  std::string instance_id;
  // A member silent this long (crashed, paused) is dropped and its tasks
  // move; a static member that stops cleanly also keeps its tasks this long.
  int session_timeout_ms = 10000;
  // Under exactly_once: how many other instances keep a warm copy of each
  // task (a standby replica, engine/runtime/README.md "Standby replicas"):
  // they tail its changelog into their own state.dir, so when the group
  // moves the task to one of them it restores only what that copy missed.
  // 0: none; a moved task restores from its changelog from the local
  // checkpoint on (all of it on an instance that never had the task).
  int num_standby_replicas = 0;
  // SIGINT/SIGTERM: how long a clean stop may take before the process exits
  // without waiting for what is still blocked (exit code 3). A stop during a
  // broker outage can block for good inside librdkafka
  // (send_offsets_to_transaction ignores its timeout while the group
  // coordinator is down, librdkafka #5456); exiting then is as safe as a
  // crash, which exactly-once recovers from.
  int stop_timeout_ms = 30000;
  // A processor loop thread that stays this long in one call into the
  // broker (offsets, transaction, changelog, abort) while the broker answers
  // fails its role, and the process exits for its supervisor to restart it,
  // as safe as a crash. A wait that lasts while the broker is down is an
  // outage, waited out however long. 0: never.
  int stuck_step_timeout_ms = 900000;
  // Max records a projection applies per PostgreSQL transaction. Larger than
  // batch_size because a projection coalesces the changes of one key within
  // a transaction: when it is behind, bigger transactions write fewer rows.
  int projection_batch_size = 200000;
  // While a projection reads in bulk (a poll returned at least
  // projection_bulk_records), it keeps polling up to this long, until
  // projection_batch_size or a poll that finds nothing, before it applies:
  // a replay's transactions coalesce more keys and PostgreSQL writes fewer
  // rows. Live traffic (small polls) is applied at once. 0: no lingering.
  int projection_linger_ms = 1000;
  int projection_bulk_records = 5000;
  // A contract projection with at least this many records ahead (a replay,
  // a rebuild, a long outage) drops the indexes of its tables' indexed
  // parameters and builds them again once it is through: a B-tree built at
  // once costs a fraction of one kept up row by row. 0: never.
  int projection_defer_indexes_records = 100000;
};

struct ChainConfig {
  std::string name;          // the {chain} of topics, tables and API paths
  std::string kind = "evm";
  uint64_t chain_id = 0;
  // JSON-RPC endpoint: http://, https://, ws:// or wss:// (ws and wss carry
  // the calls and a newHeads subscription). Empty: no live ingest (file
  // replays only). May hold a provider key (path, query or user:pass@):
  // print it only through RedactUrl (engine/core/url.h).
  std::string rpc;
  // Optional ws:// or wss:// endpoint for the newHeads subscription alone,
  // when `rpc` is http(s) (providers give both). Needs `rpc`.
  std::string ws;
  // PEM file of CA certificates trusted for https/wss endpoints instead of
  // the system store. Must exist at load. Empty: the system store.
  std::string rpc_ca_file;
  // Extra request headers sent to `rpc` and `ws` (e.g. "x-api-key",
  // "Authorization"). Values are secrets: never logged or shown.
  // Env override: "name=value;name2=value2".
  std::map<std::string, std::string> rpc_headers;
  uint64_t confirmations = 0;
  uint64_t start_block = 0;  // first block live ingest reads
  uint64_t max_block_range = 2000;   // eth_getLogs range per request
  uint64_t poll_interval_ms = 1000;
  // Polling without a live newHeads subscription: around the moment the
  // next block is expected (learned from the chain's block interval and the
  // polls, ingest/evm/head_clock.h) the head is read every head_poll_ms
  // instead of waiting out poll_interval_ms. 0 = off.
  uint64_t head_poll_ms = 20;
  // JSON-RPC client (ingest/evm/rpc_client.h): per-attempt timeout; retries
  // of timeouts, dropped connections, HTTP 5xx/429 and rate-limit errors;
  // a token bucket on calls to the node (a batch of n calls counts n; 0 =
  // unlimited); calls per JSON-RPC batch.
  uint64_t rpc_timeout_ms = 10'000;
  uint64_t rpc_max_retries = 5;
  uint64_t rpc_requests_per_second = 0;
  uint64_t rpc_batch_size = 100;
  // When a block is final (can no longer be reorganized): "depth" = once
  // `finality_depth` blocks are on top of it; "tag" = once the node's
  // `finalized` block reaches it. Ingest keeps the headers of unfinal
  // blocks to detect reorgs (parent hashes), and a reorg reaching below the
  // finalized block stops the chain's ingest.
  std::string finality = "depth";
  uint64_t finality_depth = 64;
};

// A factory of a contract indexed by ABI: every address that `event` of the
// factory contract announces in `parameter` is an instance of the contract
// from that log on (README "Contracts by ABI").
struct FactoryConfig {
  std::string contract;   // the [[contracts]] name of the factory (an ABI contract)
  std::string event;      // its announcing event: a name or a full signature
  std::string parameter;  // the event's `address` parameter naming the instance
};

// One [[contracts]] entry: a standard token contract (`standard`), or a
// contract indexed by its ABI (`name` and `abi`; README "Contracts by
// ABI").
struct ContractConfig {
  std::string chain;
  Address address;                 // the first of `addresses` (a standard one's only)
  std::vector<Address> addresses;  // `address`: one address or an array
  std::string standard;            // erc721 | erc1155 | erc20; empty for an ABI contract

  std::string name;                 // [a-z][a-z0-9_]*, <= 40: its topic, schema, API path
  std::string abi;                  // JSON ABI file (relative: to the config file's directory)
  // The ABI file's bytes, read once when the configuration is loaded: every
  // abi::Catalog::Load of the process parses these, never the file again,
  // so all roles see one version of it. Empty in a hand-built config (then
  // the catalog reads `abi`).
  std::string abi_text;
  std::vector<std::string> events;  // include list: names or signatures; empty: every event
  uint64_t start_block = 0;         // its logs before this block are ignored
  std::string format = "protobuf";  // its topic's values: protobuf | json
  std::optional<FactoryConfig> factory;

  bool ByAbi() const { return !abi.empty(); }
};

// A credential for writes (POST /v1/intents): HMAC-signed requests name it
// by `id`, a JWT by its "kid" header. Exactly one of `secret` (inline, for
// local use) and `secret_env` (the name of an environment variable that
// holds it) is set in the file; Load() resolves secret_env into `secret`.
struct ApiKeyConfig {
  std::string id;          // [A-Za-z0-9_.-], 1..64 characters
  std::string secret;      // at least 16 bytes
  std::string secret_env;
  std::string scopes = "intents:write";  // space-separated
};

// A payment provider allowed to call POST /v1/webhooks/{provider}.
struct WebhookConfig {
  std::string provider;    // [a-z0-9_-], the {provider} path segment
  std::string secret;      // as for ApiKeyConfig
  std::string secret_env;
  uint64_t tolerance_s = 300;  // max age (and future skew) of a signature's t=
};

// [auth] with [[auth.keys]] and [[auth.webhooks]] (api/README.md).
struct AuthConfig {
  uint64_t max_clock_skew_s = 300;  // HMAC-signed requests: |now - timestamp|
  std::string jwt_issuer;           // "iss" must equal it when set
  std::string jwt_audience;         // "aud" must contain it when set
  uint64_t jwt_leeway_s = 30;       // allowance on exp and nbf
  std::vector<ApiKeyConfig> keys;
  std::vector<WebhookConfig> webhooks;
};

// [intents]: the write path of POST /v1/intents and the webhooks.
struct IntentsConfig {
  // RocksDB of idempotency keys and webhook event ids. Not under state.dir:
  // it is not derived from the log (rebuild and state-digest must not see it).
  // Empty (the default): "<state.dir>.idempotency", a sibling of the state
  // directory, so deployments with their own state dir never share it.
  std::string idempotency_dir;
  int max_body_bytes = 16384;  // larger request bodies answer 413
  int max_memo_bytes = 280;

  // The intents processor (engine/processors/intents/README.md).
  // Space-separated [[chains]] names whose intents it approves; intents on
  // any other chain are rejected. Its event time waits for each of these
  // chains, so list only chains whose ingest runs.
  std::string chains;
  uint64_t approval_interval_s = 3600;  // approvals run at each multiple of it
  uint64_t ttl_s = 86'400;              // an intent not approved by then expires
  uint64_t epoch_genesis = 0;           // unix seconds: epoch 0 starts here
  uint64_t epoch_length_s = 604'800;    // 7 days
  // The API's UserClock ticks to every user-events partition (event time
  // for partitions without intents); 0 disables them.
  int clock_interval_ms = 1000;
  // Daily accruals: space-separated "<chain>:<0x token>" (chains from
  // `chains`) whose every balance earns accrual_rate_bps basis points per
  // accrual_period_s (a multiple of approval_interval_s). Empty or a rate
  // of 0: none.
  std::string accrual_tokens;
  uint64_t accrual_rate_bps = 0;
  uint64_t accrual_period_s = 86'400;

  // `chains` split on spaces.
  std::vector<std::string> ChainList() const;
  // `accrual_tokens` split on spaces, each as (chain, lowercase 0x token).
  std::vector<std::pair<std::string, std::string>> AccrualTokenList() const;
};

struct Config {
  KafkaConfig kafka;
  PostgresConfig postgres;
  StateConfig state;
  ApiConfig api;
  EngineConfig engine;
  std::vector<ChainConfig> chains;
  std::vector<ContractConfig> contracts;
  AuthConfig auth;
  IntentsConfig intents;

  // Reads and validates `path`, then applies CHAINFLOW_* overrides from
  // `env` (pass the process environment; tests pass their own). Unknown
  // sections, keys and CHAINFLOW_ variables, wrong types and bad values are
  // InvalidArgument naming the key.
  static Result<Config> Load(const std::string& path,
                             const std::map<std::string, std::string>& env);
  // Same, from TOML text (tests).
  static Result<Config> Parse(const std::string& toml_text,
                              const std::map<std::string, std::string>& env,
                              const std::string& source_name = "<config>");

  const ChainConfig* FindChain(const std::string& name) const;
  std::vector<const ContractConfig*> ContractsOf(const std::string& chain) const;
  // The standard token events (ERC-20/721/1155 transfers) ingest appends for
  // `chain`: of every contract when the chain lists no [[contracts]] (`all`),
  // else of its `standard` entries only.
  struct StandardTokens {
    bool all = false;
    std::vector<Address> addresses;
  };
  StandardTokens StandardTokensOf(const std::string& chain) const;
  // Whether some chain appends standard token events (StandardTokensOf):
  // what the nft and token processors need to have work.
  bool IndexesStandardTokens() const;
  // The ABI contract named `name`, or nullptr.
  const ContractConfig* FindContract(const std::string& name) const;
};

// The process environment as a map (for Config::Load).
std::map<std::string, std::string> ProcessEnvironment();

}  // namespace chainflow::engine::core
