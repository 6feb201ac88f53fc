#include "tests/integration/pipeline_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <boost/multiprecision/cpp_int.hpp>
#include <fmt/format.h>
#include <pqxx/pqxx>

#include "engine/log/admin.h"

namespace chainflow::testing {
namespace {

constexpr char kAdminUrl[] = "postgresql://chainflow@127.0.0.1:5433/chainflow";

std::string PgAdminUrl() {
  if (const char* u = std::getenv("CHAINFLOW_TEST_PG_URL")) return u;
  return kAdminUrl;
}

std::string WithDatabase(const std::string& url, const std::string& db) {
  size_t slash = url.rfind('/');
  return url.substr(0, slash + 1) + db;
}

// True when a listening socket could bind 127.0.0.1:port right now.
bool CanListenOn(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));  // as the API does
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

int FreePortFor(const std::string& name) {
  // Starts from a port derived from the test name and process, in
  // 20000-32767: below Linux's ephemeral range (32768-60999), where the
  // kernel picks local ports for outgoing connections (Kafka, PostgreSQL)
  // that would otherwise take the API's port now and then. Skips ports that
  // something listens on already.
  constexpr int kFirst = 20000, kCount = 12768;
  const int start = static_cast<int>((std::hash<std::string>{}(name) + ::getpid()) % kCount);
  for (int i = 0; i < 200; ++i) {
    int port = kFirst + (start + i * 7919) % kCount;
    if (CanListenOn(port)) return port;
  }
  return kFirst + start;  // the server then names the port it could not bind
}

}  // namespace

std::string SharedData(const std::string& relative) {
  return std::string(CHAINFLOW_SHARED_DIR) + "/data/" + relative;
}

bool PipelineEnv::InfraAvailable(std::string* why) {
  try {
    pqxx::connection c(PgAdminUrl());
  } catch (const std::exception& e) {
    *why = std::string("PostgreSQL not reachable (run ops/infra start): ") + e.what();
    return false;
  }
  RunResult r = Run({"/usr/bin/kcat", "-b", "127.0.0.1:9092", "-L", "-m", "5"}, {},
                    std::chrono::seconds(15));
  if (r.exit_code != 0) {
    *why = "Kafka not reachable at 127.0.0.1:9092 (run ops/infra start): " + r.err;
    return false;
  }
  return true;
}

PipelineEnv::PipelineEnv(const std::string& name, int partitions, int batch_size,
                         const std::string& extra_toml, bool with_mainnet,
                         const std::string& engine_toml)
    : name_(name) {
  std::string tag = fmt::format("{}_{}_{}", name, ::getpid(), std::rand() % 100000);
  prefix_ = "it_" + tag;
  db_name_ = "cf_" + tag;
  db_url_ = WithDatabase(PgAdminUrl(), db_name_);
  state_dir_ = "/tmp/cf_it_state_" + tag;
  config_path_ = "/tmp/cf_it_" + tag + ".toml";
  api_port_ = FreePortFor(tag);
  {
    pqxx::connection c(PgAdminUrl());
    pqxx::nontransaction tx(c);
    tx.exec("CREATE DATABASE " + db_name_);
  }
  std::ofstream cfg(config_path_);
  cfg << fmt::format(
      "[kafka]\nbrokers = \"127.0.0.1:9092\"\ntopic_prefix = \"{}\"\npartitions = {}\n"
      "[postgres]\nurl = \"{}\"\n[state]\ndir = \"{}\"\n[api]\nlisten = \"127.0.0.1:{}\"\n"
      // The projection commits as often as the processor, so kill tests
      // see many commits and batch-size variations reach both.
      "[engine]\nbatch_size = {}\nprojection_batch_size = {}\n{}"
      "{}{}",
      prefix_, partitions, db_url_, state_dir_, api_port_, batch_size, batch_size, engine_toml,
      with_mainnet ? "[[chains]]\nname = \"mainnet\"\nkind = \"evm\"\nchain_id = 1\n" : "",
      extra_toml);
}

PipelineEnv::~PipelineEnv() {
  std::error_code ec;
  std::filesystem::remove_all(state_dir_, ec);
  // The API's idempotency store and live ingest's headers are siblings of
  // the state dir.
  std::filesystem::remove_all(state_dir_ + ".idempotency", ec);
  std::filesystem::remove_all(state_dir_ + ".ingest", ec);
  std::filesystem::remove(config_path_, ec);
  try {
    pqxx::connection c(PgAdminUrl());
    pqxx::nontransaction tx(c);
    tx.exec("DROP DATABASE IF EXISTS " + db_name_ + " WITH (FORCE)");
  } catch (const std::exception&) {
  }
  // The deployment's topics go too: a day of suite runs had left the broker
  // with 8,000 partitions (each costs it memory and start-up time).
  if (auto admin = engine::log::Admin::Open("127.0.0.1:9092"); admin.has_value()) {
    if (auto topics = admin.value()->ListTopics(); topics.has_value()) {
      std::vector<std::string> ours;
      for (const std::string& t : topics.value()) {
        if (t.rfind(prefix_ + ".", 0) == 0) ours.push_back(t);
      }
      core::Status deleted = admin.value()->DeleteTopics(ours);
      if (!deleted.ok()) {
        ADD_FAILURE() << "deleting the topics of " << prefix_ << ": " << deleted.ToString();
      }
    }
  }
}

std::vector<std::string> PipelineEnv::Argv(std::vector<std::string> args) const {
  std::vector<std::string> argv{ChainflowBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("-c");
  argv.push_back(config_path_);
  return argv;
}

RunResult PipelineEnv::Chainflow(std::vector<std::string> args,
                                 std::map<std::string, std::string> env,
                                 std::chrono::milliseconds timeout) const {
  return Run(Argv(std::move(args)), std::move(env), timeout);
}

std::string PipelineEnv::Digest() const {
  RunResult r = Chainflow({"state-digest"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string out = r.out;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  size_t sp = out.rfind(' ');
  return sp == std::string::npos ? out : out.substr(sp + 1);
}

std::map<std::string, std::string> PipelineEnv::NftOwners(const std::string& chain) const {
  std::map<std::string, std::string> out;
  pqxx::connection c(db_url_);
  pqxx::read_transaction tx(c);
  for (const auto& row : tx.exec_params(
           "SELECT contract, token_id::text, owner FROM chainflow.nft_owners WHERE chain = $1",
           chain)) {
    out[row[0].as<std::string>() + ":" + row[1].as<std::string>()] = row[2].as<std::string>();
  }
  return out;
}

std::string PipelineEnv::QueryScalar(const std::string& sql) const {
  pqxx::connection c(db_url_);
  pqxx::read_transaction tx(c);
  return tx.exec1(sql)[0].as<std::string>();
}

std::vector<std::string> KcatLines(const std::string& topic, const std::string& format) {
  RunResult r = Run({"/usr/bin/kcat", "-b", "127.0.0.1:9092", "-C", "-t", topic, "-e", "-q",
                     "-f", format + "\n"},
                    {}, std::chrono::minutes(2));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

void ForEachFourTopicLog(const std::string& path,
                         const std::function<bool(const boost::json::object& log,
                                                  const boost::json::array& topics,
                                                  size_t line_number)>& fn) {
  std::ifstream in(path);
  size_t line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(line, ec);
    if (ec || !v.is_object()) continue;
    const auto& obj = v.as_object();
    const auto* topics = obj.if_contains("topics");
    if (!topics || !topics->is_array() || topics->as_array().size() != 4) continue;
    if (!fn(obj, topics->as_array(), line_number)) return;
  }
}

std::map<std::string, std::string> ExpectedOwnersFromFile(const std::string& path) {
  using boost::multiprecision::uint256_t;
  std::map<std::string, std::string> owners;
  ForEachFourTopicLog(path, [&](const boost::json::object& obj, const boost::json::array& t,
                                size_t) {
    std::string topic0(t[0].as_string());
    if (topic0 != "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef") {
      return true;
    }
    std::string contract(obj.at("address").as_string());
    for (char& ch : contract) ch = static_cast<char>(std::tolower(ch));
    uint256_t token(std::string(t[3].as_string()));  // hex "0x..." literal
    std::string to = "0x" + std::string(t[2].as_string()).substr(26);
    for (char& ch : to) ch = static_cast<char>(std::tolower(ch));
    owners[contract + ":" + token.str()] = to;
    return true;
  });
  return owners;
}

std::vector<std::string> KcatLinesWith(const std::string& topic, const std::string& format,
                                       const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv{"/usr/bin/kcat", "-b", "127.0.0.1:9092", "-C", "-t", topic,
                                "-e", "-q"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  argv.push_back("-f");
  argv.push_back(format + "\n");
  RunResult r = Run(argv, {}, std::chrono::minutes(2));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::optional<std::string> KcatHeader(const std::string& kcat_headers, const std::string& name) {
  const std::string want = name + "=";
  size_t start = 0;
  while (start <= kcat_headers.size()) {
    size_t end = kcat_headers.find(',', start);
    if (end == std::string::npos) end = kcat_headers.size();
    if (kcat_headers.compare(start, want.size(), want) == 0) {
      return kcat_headers.substr(start + want.size(), end - start - want.size());
    }
    start = end + 1;
  }
  return std::nullopt;
}

Erc20Nets Erc20NetsFromFile(const std::string& path) {
  using boost::multiprecision::cpp_int;
  constexpr char kTransfer[] =
      "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
  const std::string zero = "0x" + std::string(40, '0');
  auto lower = [](std::string s) {
    for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
  };
  Erc20Nets e;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(line, ec);
    if (ec || !v.is_object()) continue;
    const auto& obj = v.as_object();
    const auto* topics = obj.if_contains("topics");
    if (!topics || !topics->is_array() || topics->as_array().size() != 3) continue;
    const auto& t = topics->as_array();
    if (lower(std::string(t[0].as_string())) != kTransfer) continue;
    std::string data(obj.at("data").as_string());
    if (data.size() != 66) continue;  // not a uint256 value: ingest rejects it
    std::string token = lower(std::string(obj.at("address").as_string()));
    std::string from = "0x" + lower(std::string(t[1].as_string()).substr(26));
    std::string to = "0x" + lower(std::string(t[2].as_string()).substr(26));
    cpp_int value(data);  // "0x..." hex literal
    ++e.transfers;
    if (from == zero) {
      e.supply[token] += value;
    } else {
      e.balances[{token, from}] -= value;
    }
    if (to == zero) {
      e.supply[token] -= value;
    } else {
      e.balances[{token, to}] += value;
    }
  }
  return e;
}

Erc20Expectation ExpectedErc20FromFile(const std::string& path) {
  const Erc20Nets nets = Erc20NetsFromFile(path);
  Erc20Expectation e;
  e.transfers = nets.transfers;
  for (const auto& [key, net] : nets.balances) {
    if (net != 0) e.balances[key] = net.str();
  }
  for (const auto& [token, net] : nets.supply) e.supply[token] = net.str();
  return e;
}

std::map<std::pair<std::string, std::string>, std::string> ViewTokenBalances(
    const PipelineEnv& env, const std::string& chain) {
  std::map<std::pair<std::string, std::string>, std::string> out;
  pqxx::connection c(env.db_url());
  pqxx::read_transaction tx(c);
  for (const auto& row : tx.exec_params("SELECT token, account, balance::text FROM "
                                        "chainflow.token_balances WHERE chain = $1",
                                        chain)) {
    out[{row[0].as<std::string>(), row[1].as<std::string>()}] = row[2].as<std::string>();
  }
  return out;
}

std::map<std::string, std::string> ViewTokenSupply(const PipelineEnv& env,
                                                   const std::string& chain) {
  std::map<std::string, std::string> out;
  pqxx::connection c(env.db_url());
  pqxx::read_transaction tx(c);
  for (const auto& row : tx.exec_params(
           "SELECT token, total_supply::text FROM chainflow.token_supply WHERE chain = $1",
           chain)) {
    out[row[0].as<std::string>()] = row[1].as<std::string>();
  }
  return out;
}

}  // namespace chainflow::testing
