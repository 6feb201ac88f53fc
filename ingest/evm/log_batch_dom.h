#pragma once

// LogBatch's parsed form, for the two files that read or fill it
// (rpc_response.cc, log_decoder.cc); the rest of the code base does not
// compile simdjson's header.

#include <memory>
#include <vector>

#include <simdjson.h>

#include "ingest/evm/log_batch.h"

namespace chainflow::ingest::evm {

struct LogBatch::Dom {
  // Hands the parsers back to this thread's spares (Parser()).
  ~Dom();
  // Each parser owns one document; on the heap, since elements point into
  // their document and must stay valid when the batch moves.
  std::vector<std::unique_ptr<simdjson::dom::parser>> documents;
  std::vector<simdjson::dom::element> logs;
};

// A parser for a document a batch will keep: one of this thread's spares
// (parsers of batches destroyed on this thread) when there is one. A parser
// keeps the buffers its largest document needed, so reusing one spares
// allocating and faulting in ~6x the document's size per response.
std::unique_ptr<simdjson::dom::parser> SpareParser();

}  // namespace chainflow::ingest::evm
