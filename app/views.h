#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/abi/catalog.h"
#include "engine/core/config.h"
#include "engine/core/result.h"
#include "engine/log/sink.h"
#include "engine/log/source.h"
#include "projections/pg/connection.h"
#include "projections/pg/projector.h"

namespace chainflow::app {

// One PostgreSQL view the `project` role keeps: everything the app needs to
// run, report on and rebuild it. Adding a view is one entry in Views().
struct ViewDef {
  std::string name;   // the projection ("nft"): offsets, consumer group, --view, status
  std::string topic;  // its input topic
  std::string label;  // its progress bar
  // `chainflow rebuild` (everything) replays the topic from its start: each
  // record carries the whole row, so the latest record of a key is its row
  // whether or not the processor is rebuilt too. Otherwise the view starts
  // at the topic's current end and takes what the rebuilt processors append.
  bool rebuild_from_start = false;
  std::function<engine::core::Result<std::unique_ptr<projections::pg::Projector>>(
      const projections::pg::ProjectorOptions& options,
      std::unique_ptr<engine::log::RecordSource> source,
      std::unique_ptr<projections::pg::Connection> conn, engine::log::RecordSink* dlq)>
      open;
  // Empties the view's tables and its stored offsets.
  std::function<engine::core::Status(projections::pg::Connection& conn)> truncate;
  // Optional: completes a bulk load (ProjectorOptions::bulk_load) once the
  // view's projector has applied it and stopped (the contract tables build
  // the parameter indexes they dropped for it).
  std::function<engine::core::Status(projections::pg::Connection& conn)> finish_bulk_load = {};
};

// Every view, in start order: nft, token, intents, settlements, accruals,
// then "contract.<name>" per [[contracts]] entry by ABI. Their ABIs come from
// `catalog` when given (the one a command loaded at start-up for all its
// roles); otherwise the catalog is loaded when the first of them is opened,
// so merely listing views reads no ABI file (a load error fails that open).
// The views refer to `config`, which must outlive them.
std::vector<ViewDef> Views(const engine::core::Config& config,
                           std::shared_ptr<const engine::abi::Catalog> catalog = nullptr);

// The names of Views(), for messages: "nft, token, intents, ...".
std::string ViewNames(const engine::core::Config& config);

}  // namespace chainflow::app
