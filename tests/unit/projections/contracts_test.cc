// The contract-events projection without a database: column types, the
// text rule, record decoding (both formats), rows and schema planning.
#include <filesystem>

#include <gtest/gtest.h>
#include <unistd.h>

#include "chainflow/v1/events.pb.h"
#include "engine/abi/proto_value.h"
#include "projections/contracts/columns.h"
#include "projections/contracts/contract_view.h"
#include "projections/contracts/record.h"
#include "projections/contracts/schema.h"
#include "projections/contracts/schema_plan.h"
#include "projections/contracts/text_rule.h"
#include "projections/pg/keyed_rows.h"
#include "tests/unit/projections/contract_abi.h"

namespace chainflow::projections::contracts {
namespace {

namespace abi = engine::abi;

constexpr char kU256Max[] =
    "115792089237316195423570985008687907853269984665640564039457584007913129639935";
constexpr char kI256Min[] =
    "-57896044618658097711785492504343953926634992332820282019728792003956564819968";
constexpr char kHash[] = "0x1111111111111111111111111111111111111111111111111111111111111111";

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

class ContractsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cf_contracts_test_" + std::to_string(getpid()));
    shop_ = testing::LoadShop(dir_);
    ASSERT_NE(shop_, nullptr);
    tables_ = TableSpecsOf(shop_->shop());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  const abi::EventDecoder& events() const { return shop_->shop().decoder; }

  std::string JsonRecord(const std::string& params, bool retracted = false) const {
    return fmt::format(
        R"j({{"id":"x","chain":"anvil","contract":"shop","address":"0x00000000000000000000000000000000000005A0","event":"Purchased","signature":"Purchased(address,uint256,uint256,string,bytes32,bool)","block_number":12,"block_hash":null,"block_timestamp":1700000000,"tx_hash":"{}","tx_index":0,"log_index":3,"retracted":{},"params":{}}})j",
        kHash, retracted ? "true" : "false", params);
  }

  std::filesystem::path dir_;
  std::unique_ptr<testing::ShopCatalog> shop_;
  std::vector<TableSpec> tables_;
};

TEST_F(ContractsTest, TablesAndColumnTypes) {
  ASSERT_EQ(tables_.size(), 4u);
  EXPECT_EQ(tables_[0].table, "purchased");
  std::vector<std::pair<std::string, std::string>> purchased;
  for (const ColumnSpec& c : tables_[0].columns) purchased.emplace_back(c.name, c.sql_type);
  EXPECT_EQ(purchased, (std::vector<std::pair<std::string, std::string>>{
                           {"buyer", "text"},
                           {"ticket_id", "numeric(78,0)"},
                           {"amount", "numeric(78,0)"},
                           {"memo", "text"},
                           {"ref", "bytea"},
                           {"paid", "boolean"}}));
  EXPECT_TRUE(tables_[0].columns[0].indexed);
  std::vector<std::pair<std::string, std::string>> tagged;
  for (const ColumnSpec& c : tables_[1].columns) tagged.emplace_back(c.name, c.sql_type);
  EXPECT_EQ(tagged, (std::vector<std::pair<std::string, std::string>>{
                        {"tag", "bytea"},  // an indexed string: only its hash is in the log
                        {"delta", "numeric(78,0)"},
                        {"data", "bytea"},
                        {"items", "jsonb"},
                        {"block_number_", "jsonb"}}));
  // Overloads get 8 hex digits of their topic0.
  EXPECT_EQ(tables_[2].table.substr(0, 5), "ping_");
  EXPECT_EQ(tables_[2].table.size(), 13u);
  EXPECT_NE(tables_[2].table, tables_[3].table);
}

TEST(TextRuleTest, NulAndInvalidUtf8AreCleanedTheRestKept) {
  EXPECT_EQ(CleanString(std::string("a\0b", 3)).text, "ab");
  EXPECT_TRUE(CleanString(std::string("a\0b", 3)).changed);
  const std::string emoji = "ticket \xF0\x9F\x8E\x9F ok";
  EXPECT_EQ(CleanString(emoji).text, emoji);
  EXPECT_FALSE(CleanString(emoji).changed);
  EXPECT_EQ(CleanString("tab\there\nnewline\r\x01").text, "tab\there\nnewline\r\x01");
  EXPECT_FALSE(CleanString("tab\there\n").changed);
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(CleanString("a\xFF" "b").text, "a" + fffd + "b");
  // A truncated 4-byte sequence is one maximal subpart: one U+FFFD.
  EXPECT_EQ(CleanString("a\xF0\x9F\x8E" "b").text, "a" + fffd + "b");
  // A surrogate (ED A0 80): ED cannot start it, so each byte is replaced.
  EXPECT_EQ(CleanString("\xED\xA0\x80").text, fffd + fffd + fffd);
  EXPECT_EQ(CleanString("\xC0\xAF").text, fffd + fffd);  // overlong
  EXPECT_EQ(CleanString(std::string("\0\xFF", 2)).text, fffd);
  EXPECT_TRUE(CleanString("\xC3").changed);
}

TEST_F(ContractsTest, ColumnTextOfEveryKind) {
  bool adjusted = false;
  const auto& cols = tables_[0].columns;
  abi::Value max{abi::UintValue{~core::U256(0), 256}};
  EXPECT_EQ(ColumnText(max, cols[2], &adjusted).value(), kU256Max);
  abi::Value min{abi::IntValue{core::U256(1) << 255, 256}};
  EXPECT_EQ(ColumnText(min, tables_[1].columns[1], &adjusted).value(), kI256Min);
  abi::Value minus_one{abi::IntValue{~core::U256(0), 256}};
  EXPECT_EQ(ColumnText(minus_one, tables_[1].columns[1], &adjusted).value(), "-1");
  auto address = core::Address::FromHex("0xABCDEFabcdef0123456789ABCDEF0123456789aB").value();
  EXPECT_EQ(ColumnText(abi::Value{abi::AddressValue{address}}, cols[0], &adjusted).value(),
            "0xabcdefabcdef0123456789abcdef0123456789ab");
  EXPECT_EQ(ColumnText(abi::Value{abi::FixedBytesValue{std::string(32, '\x01')}}, cols[4],
                       &adjusted)
                .value(),
            "\\x" + Repeat("01", 32));
  EXPECT_EQ(ColumnText(abi::Value{abi::BoolValue{true}}, cols[5], &adjusted).value(), "t");
  EXPECT_FALSE(adjusted);
  EXPECT_EQ(ColumnText(abi::Value{abi::StringValue{std::string("hi\0!", 4)}}, cols[3], &adjusted)
                .value(),
            "hi!");
  EXPECT_TRUE(adjusted);
  // A value of the wrong kind is refused, not stored.
  EXPECT_EQ(ColumnText(abi::Value{abi::BoolValue{true}}, cols[2], &adjusted).error().code(),
            core::StatusCode::kInvalidArgument);
}

TEST_F(ContractsTest, JsonbIsCleanedInsideArraysAndTuples) {
  const ColumnSpec& items = tables_[1].columns[3];
  auto names = events().events()[1].inputs[3].type.element().shared_names();
  abi::Value tuple{abi::TupleValue{
      {abi::Value{abi::AddressValue{}}, abi::Value{abi::StringValue{std::string("x\0\xFFy", 4)}}},
      names}};
  abi::Value array{abi::ArrayValue{{tuple}}};
  bool adjusted = false;
  EXPECT_EQ(ColumnText(array, items, &adjusted).value(),
            R"([{"who":"0x0000000000000000000000000000000000000000","note":"x)"
            "\xEF\xBF\xBD"
            R"(y"}])");
  EXPECT_TRUE(adjusted);
}

TEST_F(ContractsTest, JsonRecordWithHostileStrings) {
  const std::string params = fmt::format(
      R"({{"buyer":"0x00000000000000000000000000000000000000B1","ticketId":"{}","amount":"7","memo":"nul\u0000 emoji 🎟 tab\t nl\n bad \ufffd","ref":"{}","paid":true}})",
      kU256Max, kHash);
  auto r = DecodeContractRecord(JsonRecord(params), "shop", events());
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r.value().address, "0x00000000000000000000000000000000000005a0");
  EXPECT_EQ(r.value().block_hash, "");
  EXPECT_EQ(r.value().log_index, 3);
  ASSERT_NE(r.value().definition, nullptr);
  auto rows = RowsOf(r.value(), events(), tables_);
  ASSERT_TRUE(rows) << rows.error().ToString();
  ASSERT_EQ(rows.value().size(), 1u);
  const pg::TableRow& row = rows.value()[0];
  EXPECT_EQ(row.table, 0u);
  EXPECT_FALSE(row.remove);
  EXPECT_EQ(row.fields[8], "0x00000000000000000000000000000000000000b1");
  EXPECT_EQ(row.fields[9], kU256Max);
  EXPECT_EQ(row.fields[11], "nul emoji \xF0\x9F\x8E\x9F tab\t nl\n bad \xEF\xBF\xBD");
  EXPECT_EQ(row.fields[13], "t");
  EXPECT_EQ(row.adjusted, std::vector<std::string>{"memo"});
}

TEST_F(ContractsTest, JsonRetractionAndErrors) {
  auto r = DecodeContractRecord(JsonRecord("null", true), "shop", events());
  ASSERT_TRUE(r) << r.error().ToString();
  auto rows = RowsOf(r.value(), events(), tables_);
  ASSERT_TRUE(rows);
  EXPECT_TRUE(rows.value()[0].remove);
  auto error = [&](const std::string& text, const std::string& contract = "shop") {
    auto bad = DecodeContractRecord(text, contract, events());
    return bad ? std::string("OK") : bad.error().ToString();
  };
  EXPECT_NE(error(JsonRecord("null"), "other").find("contract"), std::string::npos);
  EXPECT_NE(error(JsonRecord("{}")).find("params.buyer: missing"), std::string::npos);
  EXPECT_NE(error(JsonRecord(R"({"buyer":"0x12","ticketId":"1","amount":"1","memo":"",)"
                             R"("ref":"0x","paid":true})"))
                .find("params.buyer"),
            std::string::npos);
  EXPECT_NE(error("{\"chain\":1}").find("contract"), std::string::npos);
  EXPECT_NE(error("{nope").find("not a JSON object"), std::string::npos);
}

TEST_F(ContractsTest, ProtobufRecordRoundTrip) {
  v1::Envelope envelope;
  v1::ContractEvent* m = envelope.mutable_contract_event();
  m->set_contract("shop");
  m->set_event("Tagged");
  m->set_signature(events().events()[1].signature);
  v1::LogRef* log = m->mutable_log();
  log->set_chain("anvil");
  log->set_block_number(5);
  log->set_block_hash(std::string(32, '\x22'));
  log->set_tx_hash(std::string(32, '\x33'));
  log->set_log_index(1);
  log->set_contract(std::string(20, '\x05'));
  std::vector<abi::Value> values{
      abi::Value{abi::TopicHashValue{}},
      abi::Value{abi::IntValue{core::U256(1) << 255, 256}},
      abi::Value{abi::BytesValue{"\x01\x02"}},
      abi::Value{abi::ArrayValue{}},
      abi::Value{abi::ArrayValue{{abi::Value{abi::UintValue{1, 8}},
                                  abi::Value{abi::UintValue{255, 8}}}}}};
  abi::ToProto(values, m->mutable_values());
  auto r = DecodeContractRecord(envelope.SerializeAsString(), "shop", events());
  ASSERT_TRUE(r) << r.error().ToString();
  auto rows = RowsOf(r.value(), events(), tables_);
  ASSERT_TRUE(rows) << rows.error().ToString();
  const auto& f = rows.value()[0].fields;
  EXPECT_EQ(rows.value()[0].table, 1u);
  EXPECT_EQ(f[3], "0x" + std::string(64, '2'));
  EXPECT_EQ(f[8], "\\x" + std::string(64, '0'));
  EXPECT_EQ(f[9], kI256Min);
  EXPECT_EQ(f[10], "\\x0102");
  EXPECT_EQ(f[11], "[]");
  EXPECT_EQ(f[12], "[\"1\",\"255\"]");
  // An event the include list no longer selects makes no rows.
  m->set_signature("Gone(uint256)");
  auto gone = DecodeContractRecord(envelope.SerializeAsString(), "shop", events());
  ASSERT_TRUE(gone);
  EXPECT_TRUE(RowsOf(gone.value(), events(), tables_).value().empty());
}

TEST_F(ContractsTest, PlanNewTablesThenAnAddedColumnThenARefusedTypeChange) {
  auto first = PlanSchema("shop", tables_, {});
  ASSERT_TRUE(first);
  EXPECT_EQ(first.value().statements[0], "CREATE SCHEMA IF NOT EXISTS \"shop\"");
  EXPECT_NE(first.value().statements[1].find("CREATE TABLE \"shop\".\"purchased\""),
            std::string::npos);
  EXPECT_NE(first.value().statements[1].find("\"ticket_id\" numeric(78,0)"), std::string::npos);
  // Hex text compares bytewise whatever the database's collation; strings keep it.
  EXPECT_NE(first.value().statements[1].find("\"buyer\" text COLLATE \"C\""), std::string::npos);
  EXPECT_NE(first.value().statements[1].find("tx_hash text COLLATE \"C\" NOT NULL"),
            std::string::npos);
  EXPECT_NE(first.value().statements[1].find("\"memo\" text,"), std::string::npos);
  EXPECT_NE(first.value().statements[1].find("PRIMARY KEY (block_number, log_index, chain)"),
            std::string::npos);
  // The key is in the API's order: no second index on the position.
  for (const std::string& statement : first.value().statements) {
    EXPECT_EQ(statement.find("_by_position"), std::string::npos) << statement;
  }
  EXPECT_EQ(first.value().registry, tables_);

  // Nothing to do the second time but the schema statement.
  auto again = PlanSchema("shop", tables_, first.value().registry);
  ASSERT_TRUE(again);
  for (size_t i = 1; i < again.value().statements.size(); ++i) {
    EXPECT_EQ(again.value().statements[i].find("CREATE TABLE"), std::string::npos);
    EXPECT_EQ(again.value().statements[i].find("ADD COLUMN"), std::string::npos);
  }
  EXPECT_TRUE(again.value().changes.empty());

  std::vector<TableSpec> grown = tables_;
  grown[0].columns.push_back({"note", "note", "string", "text", false});
  grown[0].signature = "Purchased(address,uint256,uint256,string,bytes32,bool,string)";
  auto added = PlanSchema("shop", grown, tables_);
  ASSERT_TRUE(added);
  EXPECT_EQ(added.value().statements.size(), 2u);
  EXPECT_EQ(added.value().statements[1],
            "ALTER TABLE \"shop\".\"purchased\" ADD COLUMN \"note\" text");
  EXPECT_EQ(added.value().registry[0].columns.size(), 7u);

  // A parameter the ABI drops keeps its column.
  std::vector<TableSpec> shrunk = tables_;
  shrunk[0].columns.pop_back();
  auto kept = PlanSchema("shop", shrunk, tables_);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept.value().registry[0].columns.size(), 6u);

  std::vector<TableSpec> changed = tables_;
  changed[0].columns[2] = {"amount", "amount", "string", "text", false};
  auto refused = PlanSchema("shop", changed, tables_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), core::StatusCode::kInvalidArgument);
  const std::string& why = refused.error().message();
  EXPECT_NE(why.find("contract \"shop\""), std::string::npos) << why;
  EXPECT_NE(why.find("table \"purchased\""), std::string::npos) << why;
  EXPECT_NE(why.find("column \"amount\""), std::string::npos) << why;
  EXPECT_NE(why.find("numeric(78,0)"), std::string::npos) << why;
}

TEST(SchemaNameTest, SchemasOthersUseAreRefused) {
  EXPECT_TRUE(CheckSchemaName("tickets").ok());
  for (const char* name : {"chainflow", "public", "information_schema", "pg_temp"}) {
    EXPECT_EQ(CheckSchemaName(name).code(), core::StatusCode::kInvalidArgument) << name;
  }
}

TEST(RegistryJsonTest, ColumnsRoundTrip) {
  std::vector<ColumnSpec> columns{{"ticket_id", "ticketId", "uint256", "numeric(78,0)", true},
                                  {"memo", "memo", "string", "text", false}};
  EXPECT_EQ(ParseColumnsJson(ColumnsJson(columns)).value(), columns);
  EXPECT_EQ(ParseColumnsJson("[{\"column\":1}]").error().code(), core::StatusCode::kDataLoss);
}

// Retractions in KeyedRows: they replace the staged row they name and no other.
TEST(KeyedRowsRemovalTest, RetractionsTakeBackOnlyTheirOwnRow) {
  pg::UpsertSpec spec{"t", {"k", "who", "v"}, {"k"}};
  spec.delete_match = {"who"};
  pg::KeyedRows rows(spec);
  rows.Put({"1", "a", "x"});
  rows.Put({"1", "a", ""}, /*remove=*/true);  // same row: becomes a removal
  rows.Put({"2", "b", "y"});
  rows.Put({"2", "a", ""}, /*remove=*/true);  // another row's retraction: "b" stays
  rows.Put({"3", "c", ""}, /*remove=*/true);
  rows.Put({"3", "d", "z"});                   // re-added on the new branch
  EXPECT_EQ(rows.rows(), (std::vector<std::vector<std::string>>{{"2", "b", "y"},
                                                                {"3", "d", "z"}}));
  EXPECT_EQ(rows.removals(), (std::vector<std::vector<std::string>>{{"1", "a"}}));
}

// A log of events keeps its rows unmapped while their positions rise; the
// first row that does not (a reorg's batch) or a removal brings the key map in,
// built from the rows so far, and the later Puts still replace by key.
TEST(KeyedRowsOrderTest, RowsOutOfPositionOrderStillReplaceTheirKeysRow) {
  pg::UpsertSpec spec{"t", {"block", "log", "chain", "v"}, {"block", "log", "chain"}};
  spec.append_position = {"block", "log"};
  pg::KeyedRows rows(spec);
  rows.Put({"5", "0", "c", "a"});
  rows.Put({"5", "1", "c", "b"});
  rows.Put({"6", "0", "c", "c"});
  rows.Put({"5", "1", "c", "B"});  // the same key again, behind the last row
  rows.Put({"7", "0", "c", "d"});
  rows.Put({"7", "0", "c", "D"});
  rows.Put({"8", "0", "c", "e"});
  rows.Put({"8", "0", "c", ""}, /*remove=*/true);
  rows.Put({"9", "0", "x", "f"});  // one position, two chains: two keys
  rows.Put({"9", "0", "y", "g"});
  EXPECT_EQ(rows.rows(), (std::vector<std::vector<std::string>>{{"5", "0", "c", "a"},
                                                                {"5", "1", "c", "B"},
                                                                {"6", "0", "c", "c"},
                                                                {"7", "0", "c", "D"},
                                                                {"9", "0", "x", "f"},
                                                                {"9", "0", "y", "g"}}));
  EXPECT_EQ(rows.removals(), (std::vector<std::vector<std::string>>{{"8", "0", "c"}}));
}

TEST(KeyedRowsOrderTest, ARemovalFirstOrAPositionThatIsNoNumberUsesTheMapFromThere) {
  pg::UpsertSpec spec{"t", {"block", "log", "chain", "v"}, {"block", "log", "chain"}};
  spec.append_position = {"block", "log"};
  pg::KeyedRows removal_first(spec);
  removal_first.Put({"3", "0", "c", ""}, /*remove=*/true);
  removal_first.Put({"3", "0", "c", "z"});  // re-added on the new branch
  removal_first.Put({"4", "0", "c", "y"});
  removal_first.Put({"4", "0", "c", "Y"});
  EXPECT_EQ(removal_first.rows(), (std::vector<std::vector<std::string>>{{"3", "0", "c", "z"},
                                                                         {"4", "0", "c", "Y"}}));
  EXPECT_TRUE(removal_first.removals().empty());

  pg::KeyedRows odd(spec);
  odd.Put({"1", "0", "c", "a"});
  odd.Put({"x1", "0", "c", "b"});
  odd.Put({"1", "0", "c", "A"});
  EXPECT_EQ(odd.rows(), (std::vector<std::vector<std::string>>{{"1", "0", "c", "A"},
                                                               {"x1", "0", "c", "b"}}));
}

}  // namespace
}  // namespace chainflow::projections::contracts
