// Contracts by ABI end to end (issue 14): `chainflow run` follows a private
// Anvil with a contract emitting every kind of ABI parameter (TestEventZoo)
// and a factory making ticket contracts mid-run (TestTicketFactory),
// configured by their solc ABIs only. Reorgs of depth 1 to 20
// (evm_snapshot / evm_revert, then a longer branch). After each, every
// contract topic, read read_committed with its retractions applied, must
// equal the chain's logs (eth_getLogs) decoded by this test on its own: the
// zoo's values are a function of the seed each event carries, the tickets'
// are single words. No record twice, none of a reverted block. The same for
// the contracts' PostgreSQL tables (one per event, schema = contract).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "chainflow/v1/events.pb.h"
#include "engine/core/hex.h"
#include "engine/core/keccak.h"
#include "engine/core/u256.h"
#include "engine/log/consumer.h"
#include "ingest/evm/rpc_client.h"
#include "tests/integration/pipeline_fixture.h"
#include "tests/support/local_anvil.h"

namespace chainflow::testing {
namespace {

namespace json = boost::json;
namespace log = engine::log;
using Clock = std::chrono::steady_clock;
using engine::core::U256;

// (block number, log index) -> the event's parameters as JSON.
using Events = std::map<std::pair<uint64_t, uint64_t>, json::value>;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string Topic0(std::string_view signature) {
  auto h = engine::core::Keccak256(signature);
  return engine::core::ToHex(std::string_view(reinterpret_cast<const char*>(h.data()), 32));
}
uint64_t Quantity(const json::value& v) {
  return std::stoull(std::string(v.as_string()), nullptr, 16);
}
std::string Unhex(std::string_view hex) {
  auto bytes = engine::core::FromHex(hex);
  return bytes ? std::string(bytes.value().begin(), bytes.value().end()) : "";
}
std::string Decimal(std::string_view word32) {
  return engine::core::U256ToDecimal(engine::core::U256FromBigEndian(word32).value());
}
std::string WordArg(uint64_t v) { return fmt::format("{:064x}", v); }

// The zoo's events, computed from their seed like TestEventZoo.sol does.
json::value ExpectedScalars(uint64_t seed, const std::string& who, const std::string& tag_hash) {
  json::object o;
  o["seed"] = std::to_string(seed);
  o["who"] = who;
  o["tag"] = tag_hash;
  o["delta"] = seed == 0 ? "0" : "-" + std::to_string(seed * 1000);
  o["odd"] = seed % 2 == 1;
  o["code"] = fmt::format("0x{:06x}", seed & 0xffffff);
  o["small"] = seed % 128 == 0 ? "0" : "-" + std::to_string(seed % 128);
  return o;
}
json::value ExpectedComposites(uint64_t seed) {
  json::object o;
  o["seed"] = std::to_string(seed);
  o["blob"] = fmt::format("0x{:04x}", seed & 0xffff);
  o["text"] = "text-" + std::to_string(seed % 10);
  o["pair"] = json::array{std::to_string(seed & 0xffff), std::to_string((seed + 1) & 0xffff)};
  json::array list;
  for (uint64_t i = 0; i < seed % 4; ++i) {
    list.push_back(json::string(std::to_string(seed * 10 + i)));
  }
  o["list"] = list;
  o["seat"] = json::object{{"row", std::to_string(seed % 256)}, {"label", "front"}};
  json::array seats;
  for (uint64_t i = 0; i < seed % 3; ++i) {
    seats.push_back(json::object{{"row", std::to_string(i + 1)},
                                 {"label", std::string("s") + static_cast<char>('a' + i)}});
  }
  o["seats"] = seats;
  return o;
}
json::value ExpectedHostile() {
  json::object o;
  // Invalid UTF-8 (0xff) is replaced by U+FFFD; NUL, tab and newline stay.
  o["text"] = std::string("nul\0tab\tnl\n\xF0\x9F\x98\x80\xEF\xBF\xBD", 18);
  o["big"] = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
  o["low"] = "-57896044618658097711785492504343953926634992332820282019728792003956564819968";
  o["blob"] = "0x00ff";
  return o;
}

class ContractEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!PipelineEnv::InfraAvailable(&why)) GTEST_SKIP() << why;
    anvil_ = LocalAnvil::Start(&why);
    if (!anvil_) GTEST_SKIP() << why;
    auto rpc = ingest::evm::RpcClient::Open({.url = anvil_->url()});
    ASSERT_TRUE(rpc) << rpc.error().ToString();
    rpc_ = std::move(rpc).value();
    auto zoo = DeployContract(anvil_->url(), "TestEventZoo", &why);
    ASSERT_TRUE(zoo) << why;
    zoo_ = *zoo;
    auto factory = DeployContract(anvil_->url(), "TestTicketFactory", &why);
    ASSERT_TRUE(factory) << why;
    factory_ = *factory;
    ASSERT_EQ(factory_.abis.count("Ticket"), 1u) << "deploy.js gave no ABI of Ticket";
    sender_ = Lower(std::string(Call("eth_accounts", "[]").as_array()[0].as_string()));

    dir_ = std::filesystem::temp_directory_path() / fmt::format("cf_it_contracts_{}", ::getpid());
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "TestEventZoo.json") << zoo_.abis.at("TestEventZoo");
    std::ofstream(dir_ / "TestTicketFactory.json") << factory_.abis.at("TestTicketFactory");
    std::ofstream(dir_ / "Ticket.json") << factory_.abis.at("Ticket");
    env_ = std::make_unique<PipelineEnv>(
        "contracts", 4, 500,
        fmt::format(
            "[[chains]]\nname = \"anvil\"\nkind = \"evm\"\nchain_id = 31337\nrpc = \"{}\"\n"
            "poll_interval_ms = 100\nfinality_depth = 30\n"
            "[[contracts]]\nchain = \"anvil\"\nname = \"zoo\"\naddress = \"{}\"\n"
            "abi = \"{}\"\nformat = \"json\"\n"
            "[[contracts]]\nchain = \"anvil\"\nname = \"ticket_factory\"\naddress = \"{}\"\n"
            "abi = \"{}\"\n"
            "[[contracts]]\nchain = \"anvil\"\nname = \"tickets\"\nabi = \"{}\"\n"
            "factory = {{ contract = \"ticket_factory\", event = \"EventCreated\", "
            "parameter = \"ticket\" }}\n",
            anvil_->url(), zoo_.address, (dir_ / "TestEventZoo.json").string(), factory_.address,
            (dir_ / "TestTicketFactory.json").string(), (dir_ / "Ticket.json").string()));
    chainflow_ = std::make_unique<Subprocess>(env_->Argv({"run"}));
  }

  void TearDown() override {
    if (chainflow_) {
      if (chainflow_->Running()) chainflow_->Kill(SIGTERM);
      EXPECT_EQ(chainflow_->Wait(std::chrono::seconds(30)), 0) << Tail(chainflow_->Stderr());
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  static std::string Tail(const std::string& s) {
    return s.size() > 6000 ? s.substr(s.size() - 6000) : s;
  }

  json::value Call(const std::string& method, const std::string& params) {
    auto result = rpc_->Call(method, params);
    EXPECT_TRUE(result) << method << ": " << result.error().ToString();
    return result ? json::parse(result.value()) : json::value();
  }

  // Sends `data` to `to` and returns the receipt.
  json::value Send(const std::string& to, const std::string& data) {
    json::value hash = Call("eth_sendTransaction",
                            fmt::format(R"([{{"from":"{}","to":"{}","data":"{}"}}])", sender_, to,
                                        data));
    for (int i = 0; i < 300; ++i) {
      json::value receipt = Call("eth_getTransactionReceipt", "[" + json::serialize(hash) + "]");
      if (receipt.is_object()) {
        EXPECT_EQ(receipt.at("status").as_string(), "0x1") << data;
        return receipt;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "transaction to " << to << " was not mined";
    return {};
  }

  void EmitEverything() {
    Send(zoo_.address, "0x" + zoo_.selectors.at("emitEverything(uint256)") + WordArg(++seed_));
  }
  // A new ticket contract; returns its address (from the factory's log).
  std::string CreateTicket(const std::string& title) {
    std::string arg = WordArg(32) + WordArg(title.size());
    std::string padded = engine::core::ToHex(title).substr(2);
    padded.resize(((padded.size() + 63) / 64) * 64, '0');
    json::value receipt =
        Send(factory_.address, "0x" + factory_.selectors.at("create(string)") + arg + padded);
    for (const auto& l : receipt.at("logs").as_array()) {
      if (Lower(std::string(l.at("address").as_string())) != factory_.address) continue;
      return "0x" + std::string(l.at("topics").as_array()[1].as_string()).substr(26);
    }
    ADD_FAILURE() << "no EventCreated in the receipt";
    return "";
  }
  // A ticket contract's function: selector from its signature.
  void CallTicket(const std::string& ticket, std::string_view signature, uint64_t arg) {
    Send(ticket, Topic0(signature).substr(0, 10) + WordArg(arg));
  }

  // The canonical chain's events per contract, decoded here.
  std::map<std::string, Events> Expected() {
    std::map<std::string, Events> out;
    const std::string scalars = Topic0("Scalars(uint256,address,string,int256,bool,bytes3,int8)");
    const std::string hostile = Topic0("Hostile(string,uint256,int256,bytes)");
    json::value zoo = Call(
        "eth_getLogs",
        fmt::format(R"([{{"fromBlock":"0x0","toBlock":"latest","address":"{}"}}])", zoo_.address));
    for (const auto& l : zoo.as_array()) {
      const auto& topics = l.at("topics").as_array();
      const std::string t0(topics[0].as_string());
      auto at = std::make_pair(Quantity(l.at("blockNumber")), Quantity(l.at("logIndex")));
      if (t0 == hostile) {
        out["zoo"][at] = ExpectedHostile();
        continue;
      }
      const uint64_t seed = Quantity(topics[1]);
      out["zoo"][at] =
          t0 == scalars
              ? ExpectedScalars(seed, "0x" + std::string(topics[2].as_string()).substr(26),
                                std::string(topics[3].as_string()))
              : ExpectedComposites(seed);
    }
    // Announcements, then the tickets' events from their announcement on.
    std::map<std::string, std::pair<uint64_t, uint64_t>> announced;
    json::value created = Call(
        "eth_getLogs", fmt::format(R"([{{"fromBlock":"0x0","toBlock":"latest","address":"{}"}}])",
                                   factory_.address));
    for (const auto& l : created.as_array()) {
      const std::string ticket =
          "0x" + std::string(l.at("topics").as_array()[1].as_string()).substr(26);
      auto at = std::make_pair(Quantity(l.at("blockNumber")), Quantity(l.at("logIndex")));
      announced.emplace(ticket, at);
      const std::string data = Unhex(l.at("data").as_string());
      const uint64_t length =
          std::stoull(engine::core::ToHex(data.substr(32 + 24, 8)), nullptr, 16);
      out["ticket_factory"][at] =
          json::object{{"ticket", ticket}, {"title", data.substr(64, length)}};
    }
    const std::string purchased = Topic0("TicketsPurchased(address,uint256,uint256)");
    const std::string check_in = Topic0("CheckIn(address,uint256)");
    json::value tickets =
        Call("eth_getLogs",
             fmt::format(R"([{{"fromBlock":"0x0","toBlock":"latest","topics":[["{}","{}"]]}}])",
                         purchased, check_in));
    for (const auto& l : tickets.as_array()) {
      const std::string address = Lower(std::string(l.at("address").as_string()));
      auto at = std::make_pair(Quantity(l.at("blockNumber")), Quantity(l.at("logIndex")));
      auto a = announced.find(address);
      if (a == announced.end() || at < a->second) continue;  // not (yet) an instance
      const auto& topics = l.at("topics").as_array();
      const std::string who = "0x" + std::string(topics[1].as_string()).substr(26);
      if (std::string(topics[0].as_string()) == purchased) {
        const std::string data = Unhex(l.at("data").as_string());
        out["tickets"][at] = json::object{
            {"buyer", who}, {"count", Decimal(data.substr(0, 32))},
            {"total", Decimal(data.substr(32, 32))}};
      } else {
        out["tickets"][at] = json::object{
            {"holder", who}, {"ticketId", std::to_string(Quantity(topics[2]))}};
      }
    }
    return out;
  }

  // A protobuf ContractEvent's values as this test reads them (addresses
  // hex, uints decimal: the tickets' and the factory's events only).
  static json::value ParamsOf(const v1::ContractEvent& e) {
    json::object o;
    std::vector<std::string> names;
    if (e.event() == "TicketsPurchased") names = {"buyer", "count", "total"};
    if (e.event() == "CheckIn") names = {"holder", "ticketId"};
    if (e.event() == "EventCreated") names = {"ticket", "title"};
    for (int i = 0; i < e.values_size() && i < static_cast<int>(names.size()); ++i) {
      const v1::AbiValue& v = e.values(i);
      if (v.has_address_value()) o[names[i]] = engine::core::ToHex(v.address_value());
      if (v.has_uint_value()) o[names[i]] = Decimal(v.uint_value());
      if (v.has_string_value()) o[names[i]] = v.string_value();
    }
    return o;
  }

  // Every contract topic read read_committed from the start, retractions
  // applied. A second live record at one position is a duplicate: reported.
  std::map<std::string, Events> Actual(std::string* problems) {
    std::map<std::string, Events> out;
    for (const std::string contract : {"zoo", "ticket_factory", "tickets"}) {
      const std::string topic = env_->prefix() + ".contract." + contract;
      std::vector<log::TopicPartitionOffset> from;
      for (int p = 0; p < 4; ++p) {
        from.push_back({topic, engine::core::PartitionId(p), log::kOffsetBeginning});
      }
      log::ConsumerOptions options;
      options.brokers = "127.0.0.1:9092";
      options.group_id = "it-contract-events";
      Events& events = out[contract];
      auto st = log::Consumer::ReadToEnd(
          options, from,
          [&](const log::Record& r) {
            uint64_t block = 0, index = 0;
            bool retracted = false;
            json::value params;
            if (contract == "zoo") {
              json::value j = json::parse(r.value);
              block = j.at("block_number").to_number<uint64_t>();
              index = j.at("log_index").to_number<uint64_t>();
              retracted = j.at("retracted").as_bool();
              params = j.at("params");
            } else {
              v1::Envelope e;
              if (!e.ParseFromString(r.value) || !e.has_contract_event()) {
                *problems += "unreadable record on " + topic + "\n";
                return engine::core::Status::Ok();
              }
              const v1::ContractEvent& c = e.contract_event();
              block = c.log().block_number();
              index = c.log().log_index();
              retracted = c.retracted();
              params = ParamsOf(c);
            }
            auto at = std::make_pair(block, index);
            if (retracted) {
              if (events.erase(at) == 0) {
                *problems += fmt::format("{}: retraction of {}/{} with nothing to retract\n",
                                         contract, block, index);
              }
            } else if (!events.emplace(at, params).second) {
              *problems += fmt::format("{}: two live records at {}/{}\n", contract, block, index);
            }
            return engine::core::Status::Ok();
          },
          std::chrono::seconds(30));
      if (!st.ok()) *problems += st.ToString() + "\n";
    }
    return out;
  }

  // Waits until the topics equal the chain; reports the difference if not.
  void ExpectTopicsEqualChain(const std::string& when) {
    std::map<std::string, Events> want, got;
    std::string problems;
    auto deadline = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < deadline) {
      ASSERT_TRUE(chainflow_->Running()) << Tail(chainflow_->Stderr());
      want = Expected();
      problems.clear();
      got = Actual(&problems);
      if (got == want && problems.empty()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    EXPECT_EQ(problems, "") << when;
    for (const auto& [contract, events] : want) {
      EXPECT_EQ(got[contract].size(), events.size()) << when << ": " << contract;
      for (const auto& [at, params] : events) {
        auto it = got[contract].find(at);
        if (it == got[contract].end()) {
          ADD_FAILURE() << when << ": " << contract << " misses " << at.first << "/" << at.second
                        << " " << json::serialize(params);
        } else if (it->second != params) {
          ADD_FAILURE() << when << ": " << contract << " at " << at.first << "/" << at.second
                        << " has " << json::serialize(it->second) << ", want "
                        << json::serialize(params);
        }
      }
    }
  }

  // One table's rows as "<block>/<log>:<columns...>" lines in key order, or
  // "<error>" while it does not exist yet.
  std::string TableRows(const std::string& table, const std::string& columns) {
    try {
      return env_->QueryScalar(fmt::format(
          "SELECT coalesce(string_agg(block_number || '/' || log_index || ':' || {}, E'\\n' "
          "ORDER BY block_number, log_index), '') FROM {}",
          columns, table));
    } catch (const std::exception& e) {
      return std::string("<") + e.what() + ">";
    }
  }

  // The same lines from the chain, decoded here: per table, `row` renders one
  // event's parameters as the SQL above renders its columns.
  static std::string WantRows(const Events& events, const std::string& first_key,
                              const std::function<bool(const json::object&)>& in_table,
                              const std::function<std::string(const json::object&)>& row) {
    std::string out;
    for (const auto& [at, params] : events) {
      const json::object& p = params.as_object();
      if (!p.contains(first_key) || !in_table(p)) continue;
      if (!out.empty()) out += '\n';
      out += fmt::format("{}/{}:{}", at.first, at.second, row(p));
    }
    return out;
  }

  // The contracts' PostgreSQL tables (schema = contract name, table = event)
  // equal the chain: every canonical event a row, none of a reverted block.
  void ExpectTablesEqualChain(const std::string& when) {
    auto s = [](const json::value& v) { return std::string(v.as_string()); };
    std::map<std::string, std::pair<std::string, std::string>> got, want;
    auto deadline = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < deadline) {
      std::map<std::string, Events> chain = Expected();
      want.clear();
      got.clear();
      const auto all = [](const json::object&) { return true; };
      want["zoo.scalars"] = {"seed || ':' || delta || ':' || odd || ':' || small || ':' || who",
                             WantRows(chain["zoo"], "odd", all, [&](const json::object& p) {
                               return fmt::format("{}:{}:{}:{}:{}", s(p.at("seed")),
                                                  s(p.at("delta")),
                                                  p.at("odd").as_bool() ? "true" : "false",
                                                  s(p.at("small")), s(p.at("who")));
                             })};
      want["zoo.composites"] = {"seed || ':' || text || ':' || encode(blob, 'hex')",
                                WantRows(chain["zoo"], "pair", all, [&](const json::object& p) {
                                  return fmt::format("{}:{}:{}", s(p.at("seed")), s(p.at("text")),
                                                     s(p.at("blob")).substr(2));
                                })};
      // The hostile string as stored: NUL removed, the invalid byte U+FFFD.
      want["zoo.hostile"] = {"text || ':' || big || ':' || low",
                             WantRows(chain["zoo"], "big", all, [&](const json::object& p) {
                               std::string text = s(p.at("text"));
                               text.erase(std::remove(text.begin(), text.end(), '\0'), text.end());
                               return fmt::format("{}:{}:{}", text, s(p.at("big")),
                                                  s(p.at("low")));
                             })};
      want["ticket_factory.event_created"] = {
          "ticket || ':' || title",
          WantRows(chain["ticket_factory"], "ticket", all, [&](const json::object& p) {
            return s(p.at("ticket")) + ":" + s(p.at("title"));
          })};
      want["tickets.tickets_purchased"] = {
          "buyer || ':' || count || ':' || total",
          WantRows(chain["tickets"], "buyer", all, [&](const json::object& p) {
            return fmt::format("{}:{}:{}", s(p.at("buyer")), s(p.at("count")), s(p.at("total")));
          })};
      want["tickets.check_in"] = {
          "holder || ':' || ticket_id",
          WantRows(chain["tickets"], "holder", all, [&](const json::object& p) {
            return s(p.at("holder")) + ":" + s(p.at("ticketId"));
          })};
      for (const auto& [table, spec] : want) {
        got[table] = {spec.first, TableRows(table, spec.first)};
      }
      bool equal = true;
      for (const auto& [table, spec] : want) equal = equal && got[table].second == spec.second;
      if (equal) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    for (const auto& [table, spec] : want) {
      EXPECT_EQ(got[table].second, spec.second) << when << ": table " << table;
    }
  }

  std::unique_ptr<LocalAnvil> anvil_;
  std::unique_ptr<ingest::evm::RpcClient> rpc_;
  DeployedContract zoo_;
  DeployedContract factory_;
  std::string sender_;
  std::filesystem::path dir_;
  std::unique_ptr<PipelineEnv> env_;
  std::unique_ptr<Subprocess> chainflow_;
  uint64_t seed_ = 0;
};

TEST_F(ContractEventsTest, TopicsEqualTheChainThroughFactoriesAndReorgsOfDepth1To20) {
  // Hostile values and every parameter kind; a factory making tickets mid-run.
  Send(zoo_.address, "0x" + zoo_.selectors.at("emitHostile()"));
  for (int i = 0; i < 5; ++i) EmitEverything();
  std::string first = CreateTicket("opening night");
  ASSERT_FALSE(first.empty());
  CallTicket(first, "buy(uint256)", 3);
  CallTicket(first, "checkIn(uint256)", 1);
  ExpectTopicsEqualChain("before any reorg");
  ExpectTablesEqualChain("before any reorg");
  if (HasFailure()) return;

  int title = 0;
  for (uint64_t depth : {1, 2, 5, 10, 20}) {
    json::value snapshot = Call("evm_snapshot", "[]");
    // The reverted branch: events, a new ticket contract and its sales.
    std::string doomed;
    for (uint64_t i = 0; i < depth; ++i) {
      if (i == depth / 2) {
        doomed = CreateTicket(fmt::format("doomed {}", ++title));
      } else if (!doomed.empty() && i % 2 == 1) {
        CallTicket(doomed, "buy(uint256)", i);
      } else {
        EmitEverything();
      }
    }
    ExpectTopicsEqualChain(fmt::format("the branch of depth {} before its reorg", depth));
    Call("evm_revert", "[" + json::serialize(snapshot) + "]");
    // The canonical branch, one block longer.
    std::string show;
    for (uint64_t i = 0; i <= depth; ++i) {
      if (i == 0) {
        show = CreateTicket(fmt::format("show {}", ++title));
      } else if (i % 3 == 1) {
        CallTicket(i % 2 ? show : first, "buy(uint256)", i);
      } else if (i % 3 == 2) {
        CallTicket(first, "checkIn(uint256)", i);
      } else {
        EmitEverything();
      }
    }
    ExpectTopicsEqualChain(fmt::format("after a reorg of depth {}", depth));
    ExpectTablesEqualChain(fmt::format("after a reorg of depth {}", depth));
    if (HasFailure()) {
      std::cout << Tail(chainflow_->Stderr());
      return;
    }
  }
}

}  // namespace
}  // namespace chainflow::testing
