#include "api/handlers/event_query.h"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace chainflow::api::handlers {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

EventTableInfo Purchased() {
  return {"purchased",
          "Purchased",
          "Purchased(address,uint256,int256,string,bytes32)",
          {{"buyer", "buyer", "address", "text", true},
           {"ticket_id", "ticketId", "uint256", "numeric(78,0)", true},
           {"delta", "delta", "int256", "numeric(78,0)", true},
           {"memo", "memo", "string", "text", false},
           {"ref", "ref", "bytes32", "bytea", true},
           {"tag", "tag", "string", "bytea", true}}};
}

void ExpectFieldError(const core::Result<EventQuery>& q, const std::string& field) {
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(q.error().message().rfind(field + ": ", 0), 0u) << q.error().message();
}

TEST(EventQueryTest, ParsesEveryKnownFieldAndNormalizesFilters) {
  const EventTableInfo t = Purchased();
  auto q = ParseEventQuery({{"chain", "anvil"},
                            {"from_block", "10"},
                            {"to_block", "20"},
                            {"limit", "5"},
                            {"buyer", "0xABCDEFabcdef0123456789ABCDEF0123456789aB"},
                            {"ticket_id", "007"},
                            {"delta", "-0042"},
                            {"ref", "0x" + std::string(64, 'A')},
                            {"tag", "0x" + std::string(64, 'b')},
                            {"cursor", ""}},
                           t, {"anvil"});
  ASSERT_TRUE(q) << q.error().ToString();
  EXPECT_EQ(q.value().chain, "anvil");
  EXPECT_EQ(q.value().from_block, 10);
  EXPECT_EQ(q.value().to_block, 20);
  EXPECT_EQ(q.value().limit, 5);
  EXPECT_FALSE(q.value().cursor);  // empty counts as absent
  ASSERT_EQ(q.value().filters.size(), 5u);
  EXPECT_EQ(q.value().filters[0].second, "0xabcdefabcdef0123456789abcdef0123456789ab");
  EXPECT_EQ(q.value().filters[1].first->column, "ticket_id");  // ABI name or column name
  EXPECT_EQ(q.value().filters[1].second, "7");
  EXPECT_EQ(q.value().filters[2].second, "-42");
  EXPECT_EQ(q.value().filters[3].second, std::string(64, 'a'));
  auto by_abi_name = ParseEventQuery({{"ticketId", "1"}}, t, {"anvil"});
  ASSERT_TRUE(by_abi_name);
  EXPECT_EQ(by_abi_name.value().filters[0].second, "1");
  EXPECT_EQ(ParseEventQuery({}, t, {}).value().limit, 100);
}

TEST(EventQueryTest, ErrorsNameTheField) {
  const EventTableInfo t = Purchased();
  const std::set<std::string> chains{"anvil"};
  ExpectFieldError(ParseEventQuery({{"seller", "0x1"}}, t, chains), "seller");
  ExpectFieldError(ParseEventQuery({{"memo", "hi"}}, t, chains), "memo");  // not indexed
  ExpectFieldError(ParseEventQuery({{"ticketId", "1.5"}}, t, chains), "ticketId");
  ExpectFieldError(ParseEventQuery({{"ticket_id", "-1"}}, t, chains), "ticket_id");
  ExpectFieldError(
      ParseEventQuery({{"ticket_id", "115792089237316195423570985008687907853269984665640564039"
                                     "457584007913129639936"}},
                      t, chains),
      "ticket_id");
  ExpectFieldError(ParseEventQuery({{"buyer", "0x1234"}}, t, chains), "buyer");
  ExpectFieldError(ParseEventQuery({{"ref", "0x1234"}}, t, chains), "ref");
  ExpectFieldError(ParseEventQuery({{"tag", "zz"}}, t, chains), "tag");
  ExpectFieldError(ParseEventQuery({{"from_block", "-1"}}, t, chains), "from_block");
  ExpectFieldError(ParseEventQuery({{"to_block", "ten"}}, t, chains), "to_block");
  ExpectFieldError(ParseEventQuery({{"from_block", "9"}, {"to_block", "8"}}, t, chains),
                   "to_block");
  ExpectFieldError(ParseEventQuery({{"limit", "0"}}, t, chains), "limit");
  ExpectFieldError(ParseEventQuery({{"limit", "1001"}}, t, chains), "limit");
  ExpectFieldError(ParseEventQuery({{"chain", "base"}}, t, chains), "chain");
}

TEST(EventQueryTest, FindsTablesByTableOrUnambiguousEventName) {
  std::vector<EventTableInfo> tables{Purchased(),
                                     {"ping_0a0b0c0d", "Ping", "Ping(uint256)", {}},
                                     {"ping_01020304", "Ping", "Ping(address)", {}}};
  EXPECT_EQ(FindEventTable(tables, "shop", "purchased").value()->table, "purchased");
  EXPECT_EQ(FindEventTable(tables, "shop", "Purchased").value()->table, "purchased");
  EXPECT_EQ(FindEventTable(tables, "shop", "ping_01020304").value()->signature, "Ping(address)");
  auto overloaded = FindEventTable(tables, "shop", "Ping");
  ASSERT_FALSE(overloaded);
  EXPECT_EQ(overloaded.error().code(), core::StatusCode::kNotFound);
  EXPECT_NE(overloaded.error().message().find("ping_0a0b0c0d"), std::string::npos);
  EXPECT_EQ(FindEventTable(tables, "shop", "Refund").error().code(), core::StatusCode::kNotFound);
}

TEST(EventQueryTest, SqlIsKeysetOrderedAndTyped) {
  const EventTableInfo t = Purchased();
  auto q = ParseEventQuery(
      {{"chain", "anvil"}, {"ticketId", "7"}, {"ref", "0x" + std::string(64, '1')}}, t, {"anvil"});
  ASSERT_TRUE(q);
  EventSql sql = BuildEventSql("shop", t, q.value(),
                               std::vector<std::string>{"12", "3", "anvil"});
  EXPECT_NE(sql.sql.find("FROM \"shop\".\"purchased\""), std::string::npos) << sql.sql;
  EXPECT_NE(sql.sql.find("\"ticket_id\" = $2::numeric(78,0)"), std::string::npos) << sql.sql;
  EXPECT_NE(sql.sql.find("\"ref\" = decode($3, 'hex')"), std::string::npos) << sql.sql;
  EXPECT_NE(sql.sql.find("(block_number, log_index, chain) > ($4::bigint, $5::int, $6)"),
            std::string::npos)
      << sql.sql;
  EXPECT_NE(sql.sql.find("ORDER BY block_number, log_index, chain LIMIT $7::bigint"),
            std::string::npos)
      << sql.sql;
  EXPECT_EQ(sql.params.back(), "101");
}

TEST(EventQueryTest, RowsBecomeJsonWithTypedParams) {
  const EventTableInfo t{"tagged",
                         "Tagged",
                         "Tagged(uint256,bool,bytes,(address,string)[],string)",
                         {{"n", "n", "uint256", "numeric(78,0)", false},
                          {"ok", "ok", "bool", "boolean", false},
                          {"data", "data", "bytes", "bytea", false},
                          {"items", "items", "(address,string)[]", "jsonb", false},
                          {"gone", "gone", "string", "text", false}}};
  std::vector<std::optional<std::string>> row{
      "anvil",
      "0x00000000000000000000000000000000000005a0",
      "12",
      std::nullopt,
      "1700000000",
      "0x11",
      "0",
      "3",
      "115792089237316195423570985008687907853269984665640564039457584007913129639935",
      "true",
      "0102",
      R"([{"who":"0x00","note":"hi"}])",
      std::nullopt};
  auto item = EventRowToJson(row, t);
  ASSERT_TRUE(item) << item.error().ToString();
  EXPECT_EQ(boost::json::serialize(item.value()),
            R"({"chain":"anvil","contract":"0x00000000000000000000000000000000000005a0",)"
            R"("block_number":12,"block_hash":null,"block_timestamp":1700000000,"tx_hash":"0x11",)"
            R"("tx_index":0,"log_index":3,"params":{"n":"11579208923731619542357098500868790785)"
            R"(3269984665640564039457584007913129639935","ok":true,"data":"0x0102",)"
            R"("items":[{"who":"0x00","note":"hi"}],"gone":null}})");
}

}  // namespace
}  // namespace chainflow::api::handlers
