#pragma once

// The contract the contracts-by-ABI benchmarks index (gen_history --standard
// abi, contract_events_bench, replay_ingest_bench): one event with two
// indexed parameters, a number and a string, like a ticket sale.
namespace chainflow::benchmarks {

inline constexpr char kSoldAbi[] = R"([{"type":"event","name":"Sold","anonymous":false,"inputs":[
  {"name":"buyer","type":"address","indexed":true},
  {"name":"ticketId","type":"uint256","indexed":true},
  {"name":"price","type":"uint256","indexed":false},
  {"name":"seat","type":"string","indexed":false}]}]
)";
inline constexpr char kSoldSignature[] = "Sold(address,uint256,uint256,string)";
inline constexpr char kSoldAddress[] = "0x000000000000000000000000000000005eed0ffe";

}  // namespace chainflow::benchmarks
