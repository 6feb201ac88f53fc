#include "tests/support/local_anvil.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>

namespace chainflow::testing {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

uint16_t FreePort() {
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

bool Accepts(uint16_t port) {
  asio::io_context ioc;
  tcp::socket socket(ioc);
  boost::system::error_code ec;
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  return !ec;
}

std::string SourceDir() { return CHAINFLOW_TESTS_SOURCE_DIR; }

}  // namespace

std::unique_ptr<LocalAnvil> LocalAnvil::Start(std::string* why,
                                              std::vector<std::string> extra_args) {
  const char* env = std::getenv("CF_ANVIL_BIN");
  std::string bin = env != nullptr ? env : SourceDir() + "/ops/.tools/node/node_modules/.bin/anvil";
  if (::access(bin.c_str(), X_OK) != 0) {
    *why = "anvil not found at " + bin + " (run ops/setup or set CF_ANVIL_BIN)";
    return nullptr;
  }
  uint16_t port = FreePort();
  std::vector<std::string> argv = {bin,           "--host",     "127.0.0.1", "--port",
                                   std::to_string(port), "--chain-id", "31337", "--silent"};
  for (auto& a : extra_args) argv.push_back(std::move(a));
  auto process = std::make_unique<Subprocess>(argv);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!Accepts(port)) {
    if (!process->Running() || std::chrono::steady_clock::now() > deadline) {
      *why = "anvil did not come up on port " + std::to_string(port) + ": " + process->Stderr();
      return nullptr;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return std::unique_ptr<LocalAnvil>(new LocalAnvil(std::move(process), port));
}

LocalAnvil::~LocalAnvil() {
  if (process_ && process_->Running()) {
    process_->Kill(SIGTERM);
    process_->Wait(std::chrono::seconds(10));
  }
}

std::optional<DeployedContract> DeployContract(const std::string& rpc_url, const std::string& name,
                                               std::string* why) {
  RunResult deploy = Run({"/usr/bin/env", "node", SourceDir() + "/tests/support/node/deploy.js",
                          "--rpc", rpc_url, "--name", name},
                         {}, std::chrono::minutes(3));
  if (deploy.exit_code != 0) {
    *why = "deploy.js " + name + " failed: " + deploy.err;
    return std::nullopt;
  }
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(deploy.out, ec);
  if (ec || !parsed.is_object()) {
    *why = "deploy.js printed no JSON: " + deploy.out;
    return std::nullopt;
  }
  DeployedContract out;
  const auto& o = parsed.as_object();
  out.address = std::string(o.at("address").as_string());
  for (char& c : out.address) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& [sig, sel] : o.at("methodIdentifiers").as_object()) {
    out.selectors[std::string(sig)] = std::string(sel.as_string());
  }
  if (const auto* abis = o.if_contains("abis"); abis && abis->is_object()) {
    for (const auto& [contract, abi] : abis->as_object()) {
      out.abis[std::string(contract)] = boost::json::serialize(abi);
    }
  }
  return out;
}

}  // namespace chainflow::testing
