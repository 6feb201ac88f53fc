#include "engine/core/config.h"

#include "engine/core/address.h"
#include "engine/core/config_endpoints.h"
#include "engine/core/internal/config_fields.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

extern char** environ;

namespace chainflow::engine::core {
namespace {

using namespace config_internal;  // NOLINT: the field helpers are this file's vocabulary

FieldMap KafkaFields(KafkaConfig& c) {
  return {{"brokers", StringField(&c.brokers)},
          {"topic_prefix", StringField(&c.topic_prefix)},
          {"partitions", IntField(&c.partitions, 1, 1024)},
          {"replication_factor", IntField(&c.replication_factor, 1, 16)},
          {"compression", StringField(&c.compression)},
          {"processing_guarantee", StringField(&c.processing_guarantee)}};
}
FieldMap PostgresFields(PostgresConfig& c) {
  return {{"url", StringField(&c.url)}, {"pool_size", IntField(&c.pool_size, 1, 256)}};
}
FieldMap StateFields(StateConfig& c) { return {{"dir", StringField(&c.dir)}}; }
FieldMap ApiFields(ApiConfig& c) {
  return {{"listen", StringField(&c.listen)}, {"threads", IntField(&c.threads, 1, 64)}};
}
FieldMap EngineFields(EngineConfig& c) {
  return {{"batch_size", IntField(&c.batch_size, 1, 1'000'000)},
          {"batch_wait_ms", IntField(&c.batch_wait_ms, 0, 60'000)},
          {"batch_linger_ms", IntField(&c.batch_linger_ms, 0, 60'000)},
          {"processor_threads", IntField(&c.processor_threads, 1, 64)},
          {"instance_id", StringField(&c.instance_id)},
          {"session_timeout_ms", IntField(&c.session_timeout_ms, 1000, 3'600'000)},
          {"num_standby_replicas", IntField(&c.num_standby_replicas, 0, 16)},
          {"stop_timeout_ms", IntField(&c.stop_timeout_ms, 1000, 3'600'000)},
          {"stuck_step_timeout_ms", IntField(&c.stuck_step_timeout_ms, 0, 86'400'000)},
          {"projection_batch_size", IntField(&c.projection_batch_size, 1, 1'000'000)},
          {"projection_linger_ms", IntField(&c.projection_linger_ms, 0, 60'000)},
          {"projection_bulk_records", IntField(&c.projection_bulk_records, 1, 1'000'000)},
          {"projection_defer_indexes_records",
           IntField(&c.projection_defer_indexes_records, 0, 1'000'000'000)}};
}
FieldMap ChainFields(ChainConfig& c) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  return {{"name", StringField(&c.name)},
          {"kind", StringField(&c.kind)},
          {"chain_id", IntField(&c.chain_id, 0, kMax)},
          {"rpc", StringField(&c.rpc)},
          {"ws", StringField(&c.ws)},
          {"rpc_ca_file", StringField(&c.rpc_ca_file)},
          {"rpc_headers", StringMapField(&c.rpc_headers)},
          {"confirmations", IntField(&c.confirmations, 0, 100'000)},
          {"start_block", IntField(&c.start_block, 0, kMax)},
          {"max_block_range", IntField(&c.max_block_range, 1, 1'000'000)},
          {"poll_interval_ms", IntField(&c.poll_interval_ms, 10, 3'600'000)},
          {"head_poll_ms", IntField(&c.head_poll_ms, 0, 60'000)},
          {"rpc_timeout_ms", IntField(&c.rpc_timeout_ms, 100, 600'000)},
          {"rpc_max_retries", IntField(&c.rpc_max_retries, 0, 100)},
          {"rpc_requests_per_second", IntField(&c.rpc_requests_per_second, 0, 1'000'000)},
          {"rpc_batch_size", IntField(&c.rpc_batch_size, 1, 1000)},
          {"finality", StringField(&c.finality)},
          {"finality_depth", IntField(&c.finality_depth, 1, 100'000)}};
}
FieldMap AuthFields(AuthConfig& c) {
  constexpr int64_t kDay = 86'400;
  return {{"max_clock_skew_s", IntField(&c.max_clock_skew_s, 1, kDay)},
          {"jwt_issuer", StringField(&c.jwt_issuer)},
          {"jwt_audience", StringField(&c.jwt_audience)},
          {"jwt_leeway_s", IntField(&c.jwt_leeway_s, 0, 3600)}};
}
FieldMap ApiKeyFields(ApiKeyConfig& c) {
  return {{"id", StringField(&c.id)},
          {"secret", StringField(&c.secret)},
          {"secret_env", StringField(&c.secret_env)},
          {"scopes", StringField(&c.scopes)}};
}
FieldMap WebhookFields(WebhookConfig& c) {
  return {{"provider", StringField(&c.provider)},
          {"secret", StringField(&c.secret)},
          {"secret_env", StringField(&c.secret_env)},
          {"tolerance_s", IntField(&c.tolerance_s, 1, 86'400)}};
}
FieldMap IntentsFields(IntentsConfig& c) {
  return {{"idempotency_dir", StringField(&c.idempotency_dir)},
          {"max_body_bytes", IntField(&c.max_body_bytes, 256, 1 << 20)},
          {"max_memo_bytes", IntField(&c.max_memo_bytes, 0, 4096)},
          {"chains", StringField(&c.chains)},
          {"approval_interval_s", IntField(&c.approval_interval_s, 1, 86'400)},
          {"ttl_s", IntField(&c.ttl_s, 1, 366 * 86'400)},
          {"epoch_genesis", IntField(&c.epoch_genesis, 0, int64_t{1} << 40)},
          {"epoch_length_s", IntField(&c.epoch_length_s, 1, 366 * 86'400)},
          {"clock_interval_ms", IntField(&c.clock_interval_ms, 0, 3'600'000)},
          {"accrual_tokens", StringField(&c.accrual_tokens)},
          {"accrual_rate_bps", IntField(&c.accrual_rate_bps, 0, 10'000)},
          {"accrual_period_s", IntField(&c.accrual_period_s, 1, 366 * 86'400)}};
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// CHAINFLOW_AUTH_<KEY>, CHAINFLOW_INTENTS_<KEY>, and per key and provider
// CHAINFLOW_AUTH_KEYS_<ID>_<KEY> / CHAINFLOW_AUTH_WEBHOOKS_<PROVIDER>_<KEY>
// ('-' and '.' written '_').
void AddAuthEnvSections(Config& config, std::vector<std::pair<std::string, FieldMap>>& sections) {
  auto env_name = [](std::string name) {
    name = Upper(std::move(name));
    std::replace_if(name.begin(), name.end(), [](char c) { return c == '-' || c == '.'; }, '_');
    return name;
  };
  sections.emplace_back("AUTH", AuthFields(config.auth));
  sections.emplace_back("INTENTS", IntentsFields(config.intents));
  for (auto& key : config.auth.keys) {
    sections.emplace_back("AUTH_KEYS_" + env_name(key.id), ApiKeyFields(key));
  }
  for (auto& hook : config.auth.webhooks) {
    sections.emplace_back("AUTH_WEBHOOKS_" + env_name(hook.provider), WebhookFields(hook));
  }
}

// CHAINFLOW_<SECTION>_<KEY> for the plain sections, CHAINFLOW_CHAINS_<NAME>_<KEY>
// for a chain. A variable naming a section we know but a key we don't is an error.
Status ApplyEnv(Config& config, const std::map<std::string, std::string>& env) {
  const std::string prefix = "CHAINFLOW_";
  std::vector<std::pair<std::string, FieldMap>> sections = {
      {"KAFKA", KafkaFields(config.kafka)},       {"POSTGRES", PostgresFields(config.postgres)},
      {"STATE", StateFields(config.state)},       {"API", ApiFields(config.api)},
      {"ENGINE", EngineFields(config.engine)}};
  for (auto& chain : config.chains) {
    // '-' is allowed in chain names but not in shell variable names.
    std::string section = "CHAINS_" + Upper(chain.name);
    std::replace(section.begin(), section.end(), '-', '_');
    sections.emplace_back(section, ChainFields(chain));
  }
  AddAuthEnvSections(config, sections);
  for (const auto& [name, value] : env) {
    if (name.rfind(prefix, 0) != 0) continue;
    std::string rest = name.substr(prefix.size());
    // The longest matching section that has the key wins, so with chains
    // "a" and "a_b", CHAINFLOW_CHAINS_A_B_RPC is chain a_b's rpc.
    bool section_known = false;
    Field* best = nullptr;
    size_t best_length = 0;
    for (auto& [section, fields] : sections) {
      if (rest.rfind(section + "_", 0) != 0) continue;
      section_known = true;
      std::string key = rest.substr(section.size() + 1);
      for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto it = fields.find(key);
      if (it != fields.end() && section.size() >= best_length) {
        best = &it->second;
        best_length = section.size();
      }
    }
    if (best != nullptr) {
      RETURN_IF_ERROR(best->from_text(value, name));
    } else if (section_known) {
      return InvalidArgumentError(
          fmt::format("environment variable {} names no config key", name));
    }
    // CHAINFLOW_ variables naming no section belong to other tools: left alone.
  }
  return Status::Ok();
}

Status Validate(const Config& c) {
  if (c.kafka.brokers.empty()) return InvalidArgumentError("config key kafka.brokers is empty");
  if (c.kafka.topic_prefix.empty()) {
    return InvalidArgumentError("config key kafka.topic_prefix is empty");
  }
  if (c.engine.instance_id.size() > 100 ||
      !std::all_of(c.engine.instance_id.begin(), c.engine.instance_id.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' ||
               ch == '.';
      })) {
    return InvalidArgumentError(fmt::format(
        "config key engine.instance_id: \"{}\" must be at most 100 letters, digits, '-', '_' "
        "or '.'",
        c.engine.instance_id));
  }
  if (c.kafka.processing_guarantee != "exactly_once" &&
      c.kafka.processing_guarantee != "at_least_once") {
    return InvalidArgumentError(fmt::format(
        "config key kafka.processing_guarantee: \"{}\" is not exactly_once or at_least_once",
        c.kafka.processing_guarantee));
  }
  static const std::set<std::string> kCompressions = {"none", "lz4", "zstd", "snappy", "gzip"};
  if (!kCompressions.count(c.kafka.compression)) {
    return InvalidArgumentError(fmt::format(
        "config key kafka.compression: \"{}\" is not none, lz4, zstd, snappy or gzip",
        c.kafka.compression));
  }
  if (c.api.listen.find(':') == std::string::npos) {
    return InvalidArgumentError(
        fmt::format("config key api.listen: \"{}\" is not host:port", c.api.listen));
  }
  if (c.intents.epoch_length_s % c.intents.approval_interval_s != 0) {
    return InvalidArgumentError(fmt::format(
        "config key intents.epoch_length_s: {} is not a multiple of intents.approval_interval_s "
        "{} (an epoch must end on an approval)",
        c.intents.epoch_length_s, c.intents.approval_interval_s));
  }
  if (c.intents.accrual_period_s % c.intents.approval_interval_s != 0) {
    return InvalidArgumentError(fmt::format(
        "config key intents.accrual_period_s: {} is not a multiple of "
        "intents.approval_interval_s {} (a day must end on an approval)",
        c.intents.accrual_period_s, c.intents.approval_interval_s));
  }
  {
    const std::vector<std::string> intents_chains = c.intents.ChainList();
    for (const auto& [chain, token] : c.intents.AccrualTokenList()) {
      if (std::find(intents_chains.begin(), intents_chains.end(), chain) ==
          intents_chains.end()) {
        return InvalidArgumentError(fmt::format(
            "config key intents.accrual_tokens: \"{}:{}\" is not on a chain of intents.chains",
            chain, token));
      }
      if (!Address::FromHex(token)) {
        return InvalidArgumentError(fmt::format(
            "config key intents.accrual_tokens: \"{}:{}\" is not <chain>:<0x 20-byte address>",
            chain, token));
      }
    }
  }
  for (const std::string& name : c.intents.ChainList()) {
    if (!c.FindChain(name)) {
      return InvalidArgumentError(
          fmt::format("config key intents.chains: \"{}\" is not a configured chain", name));
    }
  }
  std::set<std::string> names;
  for (size_t i = 0; i < c.chains.size(); ++i) {
    const ChainConfig& chain = c.chains[i];
    std::string where = fmt::format("chains[{}]", i);
    if (chain.name.empty()) return InvalidArgumentError(where + ".name is missing");
    for (char ch : chain.name) {
      if (!std::islower(static_cast<unsigned char>(ch)) &&
          !std::isdigit(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-') {
        return InvalidArgumentError(fmt::format(
            "config key {}.name: \"{}\" may hold only a-z, 0-9, '_' and '-'", where, chain.name));
      }
    }
    if (!names.insert(chain.name).second) {
      return InvalidArgumentError(fmt::format("config key {}.name: duplicate chain \"{}\"",
                                              where, chain.name));
    }
    if (chain.kind != "evm") {
      return InvalidArgumentError(
          fmt::format("config key {}.kind: \"{}\" is not a supported kind (evm)", where,
                      chain.kind));
    }
    if (chain.finality != "depth" && chain.finality != "tag") {
      return InvalidArgumentError(fmt::format(
          "config key {}.finality: \"{}\" is not depth or tag", where, chain.finality));
    }
    RETURN_IF_ERROR(ValidateChainEndpoints(chain, where));
  }
  return ValidateContracts(c);
}

Status ParseArrayOfTables(
    const toml::node& node, const std::string& section,
    const std::function<Status(const toml::table&, const std::string&)>& add) {
  const toml::array* array = node.as_array();
  if (!array) return TypeError(section, "an array of tables ([[" + section + "]])");
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::table* t = (*array)[i].as_table();
    std::string where = fmt::format("{}[{}]", section, i);
    if (!t) return TypeError(where, "a table");
    RETURN_IF_ERROR(add(*t, where));
  }
  return Status::Ok();
}

// [auth]: plain keys plus the arrays of tables [[auth.keys]], [[auth.webhooks]].
Status ParseAuth(const toml::table& table, AuthConfig& auth) {
  FieldMap fields = AuthFields(auth);
  for (const auto& [key, node] : table) {
    if (key.str() == "keys") {
      RETURN_IF_ERROR(ParseArrayOfTables(node, "auth.keys", [&](const toml::table& t,
                                                                  const std::string& where) {
        auth.keys.emplace_back();
        return ApplyTable(t, ApiKeyFields(auth.keys.back()), where);
      }));
    } else if (key.str() == "webhooks") {
      RETURN_IF_ERROR(ParseArrayOfTables(node, "auth.webhooks", [&](const toml::table& t,
                                                                      const std::string& where) {
        auth.webhooks.emplace_back();
        return ApplyTable(t, WebhookFields(auth.webhooks.back()), where);
      }));
    } else {
      std::string where = fmt::format("auth.{}", key.str());
      auto it = fields.find(std::string(key.str()));
      if (it == fields.end()) return InvalidArgumentError("unknown config key " + where);
      RETURN_IF_ERROR(it->second.from_toml(node, where));
    }
  }
  return Status::Ok();
}

bool IsNameChar(char ch, bool allow_upper_and_dot) {
  unsigned char c = static_cast<unsigned char>(ch);
  if (std::islower(c) || std::isdigit(c) || ch == '_' || ch == '-') return true;
  return allow_upper_and_dot && (std::isupper(c) || ch == '.');
}

// Fills `secret` from `secret_env` and checks the pair (where: "auth.keys[0]").
Status ResolveSecret(std::string& secret, const std::string& secret_env, const std::string& where,
                     const std::map<std::string, std::string>& env) {
  if (!secret.empty() && !secret_env.empty()) {
    return InvalidArgumentError(
        fmt::format("config key {}: set secret or secret_env, not both", where));
  }
  if (!secret_env.empty()) {
    auto it = env.find(secret_env);
    if (it == env.end() || it->second.empty()) {
      return InvalidArgumentError(fmt::format(
          "config key {}.secret_env: environment variable {} is not set", where, secret_env));
    }
    secret = it->second;
  }
  if (secret.empty()) {
    return InvalidArgumentError(fmt::format("config key {}: secret or secret_env is required",
                                            where));
  }
  if (secret.size() < 16) {
    return InvalidArgumentError(
        fmt::format("config key {}: the secret is shorter than 16 bytes", where));
  }
  return Status::Ok();
}

// Validates [auth] and resolves its secrets from `env`.
Status ResolveAuth(AuthConfig& auth, const std::map<std::string, std::string>& env) {
  std::set<std::string> ids;
  for (size_t i = 0; i < auth.keys.size(); ++i) {
    ApiKeyConfig& key = auth.keys[i];
    std::string where = fmt::format("auth.keys[{}]", i);
    if (key.id.empty() || key.id.size() > 64 ||
        !std::all_of(key.id.begin(), key.id.end(), [](char c) { return IsNameChar(c, true); })) {
      return InvalidArgumentError(fmt::format(
          "config key {}.id: \"{}\" is not 1-64 of [A-Za-z0-9_.-]", where, key.id));
    }
    if (!ids.insert(key.id).second) {
      return InvalidArgumentError(fmt::format("config key {}.id: duplicate \"{}\"", where, key.id));
    }
    RETURN_IF_ERROR(ResolveSecret(key.secret, key.secret_env, where, env));
  }
  std::set<std::string> providers;
  for (size_t i = 0; i < auth.webhooks.size(); ++i) {
    WebhookConfig& hook = auth.webhooks[i];
    std::string where = fmt::format("auth.webhooks[{}]", i);
    if (hook.provider.empty() || hook.provider.size() > 64 ||
        !std::all_of(hook.provider.begin(), hook.provider.end(),
                     [](char c) { return IsNameChar(c, false); })) {
      return InvalidArgumentError(fmt::format(
          "config key {}.provider: \"{}\" is not 1-64 of [a-z0-9_-]", where, hook.provider));
    }
    if (!providers.insert(hook.provider).second) {
      return InvalidArgumentError(
          fmt::format("config key {}.provider: duplicate \"{}\"", where, hook.provider));
    }
    RETURN_IF_ERROR(ResolveSecret(hook.secret, hook.secret_env, where, env));
  }
  return Status::Ok();
}

}  // namespace

Result<Config> Config::Parse(const std::string& toml_text,
                             const std::map<std::string, std::string>& env,
                             const std::string& source_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return InvalidArgumentError(fmt::format("{}:{}:{}: {}", source_name, where.line,
                                            where.column, e.description()));
  }
  Config config;
  for (const auto& [key, node] : root) {
    std::string section(key.str());
    const toml::table* table = node.as_table();
    if (section == "chains") {
      RETURN_IF_ERROR(ParseArrayOfTables(node, section, [&](const toml::table& t,
                                                              const std::string& where) {
        config.chains.emplace_back();
        return ApplyTable(t, ChainFields(config.chains.back()), where);
      }));
    } else if (section == "contracts") {
      RETURN_IF_ERROR(ParseArrayOfTables(node, section, [&](const toml::table& t,
                                                              const std::string& where) {
        config.contracts.emplace_back();
        return ParseContract(t, where, config.contracts.back());
      }));
    } else if (!table) {
      static const std::set<std::string> kTables = {"kafka", "postgres", "state", "api",
                                                    "engine", "auth", "intents"};
      if (kTables.count(section)) return TypeError(section, "a table ([" + section + "])");
      return InvalidArgumentError(fmt::format("unknown config key {}", section));
    } else if (section == "kafka") {
      RETURN_IF_ERROR(ApplyTable(*table, KafkaFields(config.kafka), section));
    } else if (section == "postgres") {
      RETURN_IF_ERROR(ApplyTable(*table, PostgresFields(config.postgres), section));
    } else if (section == "state") {
      RETURN_IF_ERROR(ApplyTable(*table, StateFields(config.state), section));
    } else if (section == "api") {
      RETURN_IF_ERROR(ApplyTable(*table, ApiFields(config.api), section));
    } else if (section == "engine") {
      RETURN_IF_ERROR(ApplyTable(*table, EngineFields(config.engine), section));
    } else if (section == "auth") {
      RETURN_IF_ERROR(ParseAuth(*table, config.auth));
    } else if (section == "intents") {
      RETURN_IF_ERROR(ApplyTable(*table, IntentsFields(config.intents), section));
    } else {
      return InvalidArgumentError(fmt::format("unknown config section [{}]", section));
    }
  }
  RETURN_IF_ERROR(ApplyEnv(config, env));
  RETURN_IF_ERROR(Validate(config));
  RETURN_IF_ERROR(ResolveContractFiles(config, source_name));
  RETURN_IF_ERROR(ResolveAuth(config.auth, env));
  if (config.intents.idempotency_dir.empty()) {
    std::string state_dir = config.state.dir;
    while (state_dir.size() > 1 && state_dir.back() == '/') state_dir.pop_back();
    config.intents.idempotency_dir = state_dir + ".idempotency";
  }
  return config;
}

Result<Config> Config::Load(const std::string& path,
                            const std::map<std::string, std::string>& env) {
  std::ifstream in(path);
  if (!in) return NotFoundError(fmt::format("cannot read config file {}", path));
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str(), env, path);
}

std::vector<std::string> IntentsConfig::ChainList() const {
  std::vector<std::string> out;
  std::istringstream words(chains);
  for (std::string w; words >> w;) {
    if (std::find(out.begin(), out.end(), w) == out.end()) out.push_back(w);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> IntentsConfig::AccrualTokenList() const {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream words(accrual_tokens);
  for (std::string w; words >> w;) {
    const size_t colon = w.find(':');
    std::string chain = w.substr(0, colon);
    std::string token = colon == std::string::npos ? "" : w.substr(colon + 1);
    std::transform(token.begin(), token.end(), token.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    out.emplace_back(std::move(chain), std::move(token));
  }
  return out;
}

const ChainConfig* Config::FindChain(const std::string& name) const {
  for (const auto& c : chains) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const ContractConfig* Config::FindContract(const std::string& name) const {
  for (const auto& c : contracts) {
    if (c.ByAbi() && c.name == name) return &c;
  }
  return nullptr;
}

std::vector<const ContractConfig*> Config::ContractsOf(const std::string& chain) const {
  std::vector<const ContractConfig*> out;
  for (const auto& c : contracts) {
    if (c.chain == chain) out.push_back(&c);
  }
  return out;
}

Config::StandardTokens Config::StandardTokensOf(const std::string& chain) const {
  StandardTokens out;
  const std::vector<const ContractConfig*> listed = ContractsOf(chain);
  out.all = listed.empty();
  for (const ContractConfig* c : listed) {
    if (!c->ByAbi()) out.addresses.push_back(c->address);
  }
  return out;
}

bool Config::IndexesStandardTokens() const {
  for (const ChainConfig& chain : chains) {
    const StandardTokens tokens = StandardTokensOf(chain.name);
    if (tokens.all || !tokens.addresses.empty()) return true;
  }
  return false;
}

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

}  // namespace chainflow::engine::core
