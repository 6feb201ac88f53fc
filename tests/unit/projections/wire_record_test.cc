// The contract projection's in-place reading of protobuf records
// (wire_record.h) and its decoder (RecordDecoderOf): what it reads in place
// must make exactly the rows, or the error, that parsing the record with
// protobuf makes (DecodeContractRecord then RowsOf), whatever the bytes.
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <google/protobuf/stubs/logging.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "chainflow/v1/events.pb.h"
#include "engine/abi/proto_value.h"
#include "projections/contracts/contract_view.h"
#include "projections/contracts/record.h"
#include "projections/contracts/wire_record.h"
#include "tests/unit/projections/contract_abi.h"

namespace chainflow::projections::contracts {
namespace {

namespace abi = engine::abi;

std::string Word(uint8_t fill, size_t size) { return std::string(size, static_cast<char>(fill)); }

class WireRecordTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cf_wire_record_test_" + std::to_string(getpid()));
    shop_ = testing::LoadShop(dir_);
    ASSERT_NE(shop_, nullptr);
    tables_ = TableSpecsOf(shop_->shop());
    decode_ = RecordDecoderOf(shop_->shop(), tables_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A Purchased event (every scalar column kind) as the writers encode it.
  v1::Envelope Purchased(const std::string& memo = "row-1-2") const {
    v1::Envelope envelope;
    envelope.set_id("anvil/12/3/shop");
    v1::ContractEvent* m = envelope.mutable_contract_event();
    m->set_contract("shop");
    m->set_event("Purchased");
    m->set_signature(shop_->shop().decoder.events()[0].signature);
    v1::LogRef* log = m->mutable_log();
    log->set_chain("anvil");
    log->set_block_number(12);
    log->set_block_hash(Word(0x22, 32));
    log->set_block_timestamp(1'700'000'000);
    log->set_tx_hash(Word(0x33, 32));
    log->set_tx_index(2);
    log->set_log_index(3);
    log->set_contract(Word(0x05, 20));
    log->set_finalized(true);
    std::vector<abi::Value> values{
        abi::Value{abi::AddressValue{core::Address::FromBytes(Word(0xab, 20)).value()}},
        abi::Value{abi::UintValue{~core::U256(0), 256}},
        abi::Value{abi::UintValue{core::U256(42), 256}},
        abi::Value{abi::StringValue{memo}},
        abi::Value{abi::FixedBytesValue{Word(0x44, 32)}},
        abi::Value{abi::BoolValue{true}}};
    abi::ToProto(values, m->mutable_values());
    return envelope;
  }

  // The rows or error of `value` through the projection's decoder and
  // through protobuf, as text to compare.
  std::string Decoded(const std::string& value) const {
    engine::log::Record record;
    record.value = value;
    return Show(decode_(record));
  }
  std::string Parsed(const std::string& value) const {
    auto r = DecodeContractRecord(value, "shop", shop_->shop().decoder);
    if (!r) return "error: " + r.error().ToString();
    return Show(RowsOf(r.value(), shop_->shop().decoder, tables_));
  }
  static std::string Show(const core::Result<std::vector<pg::TableRow>>& rows) {
    if (!rows) return "error: " + rows.error().ToString();
    std::string out;
    for (const pg::TableRow& row : rows.value()) {
      out += fmt::format("table {} remove {} fields [{}] adjusted [{}]\n", row.table, row.remove,
                         fmt::join(row.fields, "|"), fmt::join(row.adjusted, "|"));
    }
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<testing::ShopCatalog> shop_;
  std::vector<TableSpec> tables_;
  pg::RecordDecoder decode_;
};

TEST_F(WireRecordTest, ReadsEveryFieldTheWriterWrote) {
  const v1::Envelope envelope = Purchased();
  const std::string bytes = envelope.SerializeAsString();
  WireRecord w;
  ASSERT_TRUE(ReadWireRecord(bytes, &w));
  const v1::ContractEvent& m = envelope.contract_event();
  EXPECT_EQ(w.chain, "anvil");
  EXPECT_EQ(w.block_number, 12u);
  EXPECT_EQ(w.block_hash, m.log().block_hash());
  EXPECT_EQ(w.block_timestamp, 1'700'000'000u);
  EXPECT_EQ(w.tx_hash, m.log().tx_hash());
  EXPECT_EQ(w.tx_index, 2u);
  EXPECT_EQ(w.log_index, 3u);
  EXPECT_EQ(w.address, m.log().contract());
  EXPECT_EQ(w.contract, "shop");
  EXPECT_EQ(w.event, "Purchased");
  EXPECT_EQ(w.signature, m.signature());
  EXPECT_FALSE(w.retracted);
  ASSERT_EQ(w.value_count, 6u);
  EXPECT_EQ(w.values[0].kind, v1::AbiValue::kAddressValue);
  EXPECT_EQ(w.values[0].bytes, Word(0xab, 20));
  EXPECT_EQ(w.values[1].kind, v1::AbiValue::kUintValue);
  EXPECT_EQ(w.values[1].bytes, Word(0xff, 32));
  EXPECT_EQ(w.values[3].kind, v1::AbiValue::kStringValue);
  EXPECT_EQ(w.values[3].bytes, "row-1-2");
  EXPECT_EQ(w.values[5].kind, v1::AbiValue::kBoolValue);
  EXPECT_TRUE(w.values[5].flag);
  EXPECT_EQ(Decoded(bytes), Parsed(bytes));
  EXPECT_NE(Decoded(bytes).find("115792089237316195423570985008687907853269984665640564039457584"
                                "007913129639935|42|row-1-2|\\x" +
                                std::string(64, '4') + "|t"),
            std::string::npos)
      << Decoded(bytes);
}

TEST_F(WireRecordTest, LeavesToProtobufWhatItDoesNotTake) {
  auto refused = [](const std::string& bytes) {
    WireRecord w;
    return !ReadWireRecord(bytes, &w);
  };
  const std::string plain = Purchased().SerializeAsString();
  // An unknown field (number 15, varint 1) after the event.
  EXPECT_TRUE(refused(plain + std::string("\x78\x01", 2)));
  // The event twice: protobuf merges the two.
  EXPECT_TRUE(refused(plain + plain));
  // Text that is not ASCII (here valid UTF-8).
  v1::Envelope e = Purchased();
  e.mutable_contract_event()->mutable_log()->set_chain("anvil-\xc3\xa9");
  EXPECT_TRUE(refused(e.SerializeAsString()));
  // Another payload.
  v1::Envelope marker;
  marker.mutable_block_end()->set_number(1);
  EXPECT_TRUE(refused(marker.SerializeAsString()));
  // Arrays, tuples and topic hashes.
  e = Purchased();
  abi::ToProto(abi::Value{abi::ArrayValue{}}, e.mutable_contract_event()->mutable_values(1));
  EXPECT_TRUE(refused(e.SerializeAsString()));
  e = Purchased();
  abi::ToProto(abi::Value{abi::TopicHashValue{}}, e.mutable_contract_event()->mutable_values(0));
  EXPECT_TRUE(refused(e.SerializeAsString()));
  // Truncated anywhere.
  for (size_t n = 0; n < plain.size(); ++n) {
    EXPECT_TRUE(refused(plain.substr(0, n))) << n;
  }
}

// The decoder against protobuf on records of every shape: plain ones read in
// place, others it leaves to protobuf, errors of every kind.
TEST_F(WireRecordTest, MakesTheRowsAndErrorsProtobufParsingMakes) {
  // protobuf logs each string field with invalid UTF-8 it refuses.
  google::protobuf::LogSilencer quiet;
  std::vector<std::string> records;
  auto add = [&records](const v1::Envelope& e) { records.push_back(e.SerializeAsString()); };
  add(Purchased());
  add(Purchased(std::string("nul\0here", 8)));  // the text rule: adjusted
  add(Purchased("bad \xff utf-8"));
  add(Purchased("emoji \xf0\x9f\x8e\x9f tab\tnewline\n"));
  v1::Envelope e = Purchased();
  e.mutable_contract_event()->mutable_log()->clear_block_hash();
  add(e);
  e = Purchased();
  e.mutable_contract_event()->set_retracted(true);
  add(e);
  e.mutable_contract_event()->clear_values();
  add(e);
  e = Purchased();
  e.mutable_contract_event()->set_contract("other");
  add(e);
  e = Purchased();
  e.mutable_contract_event()->set_signature("Gone(uint256)");
  add(e);
  e = Purchased();
  e.mutable_contract_event()->mutable_log()->set_tx_hash(Word(0x33, 31));
  add(e);
  e = Purchased();
  e.mutable_contract_event()->mutable_log()->set_block_hash(Word(0x22, 20));
  add(e);
  e = Purchased();
  e.mutable_contract_event()->mutable_log()->set_contract(Word(0x05, 19));
  add(e);
  e = Purchased();
  e.mutable_contract_event()->mutable_log()->clear_chain();
  add(e);
  e = Purchased();
  e.mutable_contract_event()->mutable_log()->set_block_number(uint64_t{1} << 63);
  add(e);
  e = Purchased();
  e.mutable_contract_event()->mutable_log()->set_block_timestamp(uint64_t{1} << 63);
  add(e);
  e = Purchased();
  e.mutable_contract_event()->mutable_log()->set_log_index(uint32_t{1} << 31);
  add(e);
  e = Purchased();
  e.mutable_contract_event()->mutable_log()->set_tx_index(uint32_t{1} << 31);
  add(e);
  e = Purchased();
  e.mutable_contract_event()->mutable_values()->RemoveLast();
  add(e);
  e = Purchased();  // an address where a uint goes
  abi::ToProto(abi::Value{abi::AddressValue{}}, e.mutable_contract_event()->mutable_values(1));
  add(e);
  e = Purchased();  // a uint of the wrong width
  e.mutable_contract_event()->mutable_values(2)->set_uint_value(Word(1, 31));
  add(e);
  e = Purchased();  // an address of the wrong width
  e.mutable_contract_event()->mutable_values(0)->set_address_value(Word(1, 21));
  add(e);
  e = Purchased();  // a value with no kind
  e.mutable_contract_event()->mutable_values(5)->Clear();
  add(e);
  e = Purchased();  // the overloads of Ping
  v1::ContractEvent* ping = e.mutable_contract_event();
  ping->set_event("Ping");
  ping->set_signature(shop_->shop().decoder.events()[2].signature);
  ping->clear_values();
  abi::ToProto(abi::Value{abi::UintValue{7, 256}}, ping->add_values());
  add(e);
  ping->set_signature(shop_->shop().decoder.events()[3].signature);
  add(e);
  ping->clear_values();
  abi::ToProto(abi::Value{abi::AddressValue{}}, ping->add_values());
  add(e);
  e = Purchased();  // int256, bytes and the nested kinds of Tagged
  v1::ContractEvent* tagged = e.mutable_contract_event();
  tagged->set_event("Tagged");
  tagged->set_signature(shop_->shop().decoder.events()[1].signature);
  tagged->clear_values();
  abi::ToProto(std::vector<abi::Value>{abi::Value{abi::TopicHashValue{}},
                                       abi::Value{abi::IntValue{core::U256(1) << 255, 256}},
                                       abi::Value{abi::BytesValue{"\x01\x02"}},
                                       abi::Value{abi::ArrayValue{}},
                                       abi::Value{abi::ArrayValue{{abi::Value{abi::UintValue{1, 8}},
                                                                   abi::Value{abi::UintValue{2, 8}}}}}},
               tagged->mutable_values());
  add(e);
  const std::string plain = Purchased().SerializeAsString();
  records.push_back(plain + std::string("\x78\x01", 2));
  records.push_back(plain + plain);
  records.push_back("");
  records.push_back("not protobuf");
  for (size_t n = 0; n < plain.size(); ++n) records.push_back(plain.substr(0, n));
  // Every single-byte change a seeded generator picks.
  std::mt19937 rng(7);
  for (int i = 0; i < 3000; ++i) {
    std::string changed = plain;
    changed[rng() % changed.size()] = static_cast<char>(rng() % 256);
    records.push_back(changed);
  }
  size_t read_in_place = 0;
  for (const std::string& bytes : records) {
    WireRecord w;
    read_in_place += ReadWireRecord(bytes, &w) ? 1 : 0;
    ASSERT_EQ(Decoded(bytes), Parsed(bytes)) << "record of " << bytes.size() << " bytes";
  }
  // Both paths were exercised.
  EXPECT_GT(read_in_place, 1000u);
  EXPECT_LT(read_in_place, records.size());
}

}  // namespace
}  // namespace chainflow::projections::contracts
