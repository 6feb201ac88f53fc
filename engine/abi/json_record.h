#pragma once

#include <string>
#include <string_view>

#include "chainflow/v1/events.pb.h"
#include "engine/abi/event.h"
#include "engine/core/result.h"

namespace chainflow::engine::abi {

// A ContractEvent as the JSON record of a contract topic with
// `format = "json"` (README.md "JSON records"), one compact object:
//
//   {"id":"<ce_id>","chain":"anvil","contract":"tickets",
//    "address":"0x<40 hex>","event":"Purchased",
//    "signature":"Purchased(address,uint256)","block_number":12,
//    "block_hash":"0x<64 hex>"|null,"block_timestamp":1700000000,
//    "tx_hash":"0x<64 hex>","tx_index":0,"log_index":3,"retracted":false,
//    "params":{<parameter name>: <value as ToJson renders it>, ...}}
//
// `event` is the ABI event the record's signature names (its inputs give the
// values' types and names). InvalidArgument when the values do not fit it.
core::Result<std::string> ContractEventJson(const v1::ContractEvent& record, const Event& event,
                                            std::string_view id);

}  // namespace chainflow::engine::abi
