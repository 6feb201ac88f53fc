#include "tests/integration/erc1155_checks.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <boost/multiprecision/cpp_int.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "tests/integration/diff_report.h"

namespace chainflow::testing {
namespace {

using boost::multiprecision::cpp_int;

// keccak-256 of TransferSingle(address,address,address,uint256,uint256) and
// TransferBatch(address,address,address,uint256[],uint256[]).
constexpr char kTransferSingle[] =
    "0xc3d58168c5ae7397731d063d5bbf3d657854427343f4c083240f7aacaa2d0f62";
constexpr char kTransferBatch[] =
    "0x4a39dc06d4c0dbc64b70af90fd698a233a518aa5d07e595d983b8c0526c8f7fb";

std::string Lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// The address in a 32-byte topic word ("0x" + 64 hex digits).
std::string TopicAddress(const boost::json::value& topic) {
  return "0x" + Lower(std::string(topic.as_string()).substr(26));
}

// 32-byte word k of ABI data ("0x" + hex), nullopt past the end.
std::optional<cpp_int> DataWord(const std::string& data, size_t k) {
  const size_t at = 2 + 64 * k;
  if (at + 64 > data.size()) return std::nullopt;
  return cpp_int("0x" + data.substr(at, 64));
}

// The uint256[] whose byte offset is head word `slot` of ABI data; false
// when the data is too short for it.
bool DataArray(const std::string& data, size_t slot, std::vector<cpp_int>* out) {
  const std::optional<cpp_int> offset = DataWord(data, slot);
  if (!offset || *offset % 32 != 0 || *offset > data.size()) return false;
  const size_t first = static_cast<size_t>(*offset / 32);
  const std::optional<cpp_int> length = DataWord(data, first);
  if (!length || *length > data.size()) return false;
  for (size_t k = 0; k < static_cast<size_t>(*length); ++k) {
    std::optional<cpp_int> word = DataWord(data, first + 1 + k);
    if (!word) return false;
    out->push_back(std::move(*word));
  }
  return true;
}

}  // namespace

Erc1155Expectation ExpectedErc1155FromFile(const std::string& path) {
  const std::string zero = "0x" + std::string(40, '0');
  Erc1155Expectation e;
  std::map<Erc1155Key, cpp_int> nets;
  std::set<std::pair<std::string, std::string>> token_ids;
  ForEachFourTopicLog(path, [&](const boost::json::object& obj, const boost::json::array& t,
                                size_t line_number) {
    const std::string topic0 = Lower(std::string(t[0].as_string()));
    const bool single = topic0 == kTransferSingle;
    if (!single && topic0 != kTransferBatch) return true;
    const std::string contract = Lower(std::string(obj.at("address").as_string()));
    const std::string from = TopicAddress(t[2]);
    const std::string to = TopicAddress(t[3]);
    const std::string data(obj.at("data").as_string());
    std::vector<cpp_int> ids;
    std::vector<cpp_int> values;
    if (single) {
      // (uint256 id, uint256 value): two words.
      std::optional<cpp_int> id = DataWord(data, 0);
      std::optional<cpp_int> value = DataWord(data, 1);
      if (!id || !value || data.size() != 2 + 2 * 64) {
        e.error = fmt::format("line {}: TransferSingle data is not two words", line_number);
        return false;
      }
      ids.push_back(*id);
      values.push_back(*value);
      ++e.singles;
    } else {
      if (!DataArray(data, 0, &ids) || !DataArray(data, 1, &values) ||
          ids.size() != values.size()) {
        e.error = fmt::format("line {}: TransferBatch data is not two arrays of one length",
                              line_number);
        return false;
      }
      ++e.batches;
      e.largest_batch = std::max(e.largest_batch, ids.size());
    }
    for (size_t k = 0; k < ids.size(); ++k) {
      const std::string id = ids[k].str();
      token_ids.emplace(contract, id);
      ++e.transfers;
      // Debit first, as the processor does (a holder sending to itself
      // needs the balance it sends).
      if (from != zero) {
        ++e.records;
        cpp_int& net = nets[{contract, id, from}];
        net -= values[k];
        if (net < 0) {
          e.error = fmt::format("line {}: {} sends {} of id {} but holds {}", line_number, from,
                                values[k].str(), id, cpp_int(net + values[k]).str());
          break;
        }
      }
      if (to != zero) {
        ++e.records;
        nets[{contract, id, to}] += values[k];
      }
    }
    return e.error.empty();
  });
  for (const auto& [key, net] : nets) {
    if (net != 0) e.balances[key] = net.str();
  }
  e.token_ids = token_ids.size();
  return e;
}

std::map<Erc1155Key, std::string> ViewNftBalances(const PipelineEnv& env,
                                                  const std::string& chain) {
  std::map<Erc1155Key, std::string> out;
  pqxx::connection c(env.db_url());
  pqxx::read_transaction tx(c);
  for (const auto& row : tx.exec_params("SELECT contract, token_id::text, owner, balance::text "
                                        "FROM chainflow.nft_balances WHERE chain = $1",
                                        chain)) {
    out[{row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>()}] =
        row[3].as<std::string>();
  }
  return out;
}

void ExpectNftBalances(const PipelineEnv& env, const Erc1155Expectation& expected) {
  const auto view = ViewNftBalances(env, "mainnet");
  DiffReport diff;
  auto name = [](const Erc1155Key& key) {
    return fmt::format("{} id {} holder {}", std::get<0>(key), std::get<1>(key),
                       std::get<2>(key));
  };
  for (const auto& [key, want] : expected.balances) {
    auto it = view.find(key);
    if (it == view.end()) {
      diff.Add(fmt::format("{}: missing, expected {}", name(key), want));
    } else if (it->second != want) {
      diff.Add(fmt::format("{}: view {}, expected {} (view - expected = {})", name(key),
                           it->second, want, (cpp_int(it->second) - cpp_int(want)).str()));
    }
  }
  size_t zero_rows = 0;
  for (const auto& [key, have] : view) {
    if (expected.balances.contains(key)) continue;
    if (have == "0") {
      ++zero_rows;
    } else {
      diff.Add(fmt::format("{}: view {}, expected no row or 0", name(key), have));
    }
  }
  EXPECT_EQ(diff.count(), 0u) << diff.count() << " nft_balances rows wrong of "
                              << expected.balances.size() << " expected non-zero (view has "
                              << view.size() << " rows, " << zero_rows
                              << " of them 0 as expected):" << diff.ToString();
}

}  // namespace chainflow::testing
