// The [[chains]] endpoint keys: rpc schemes, ws, rpc_ca_file, rpc_headers.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "engine/core/config.h"

namespace chainflow::engine::core {
namespace {

using Env = std::map<std::string, std::string>;

std::string Chain(const std::string& keys) { return "[[chains]]\nname = \"a\"\n" + keys; }

// The InvalidArgument message of parsing `text`, or "OK".
std::string ErrorOf(const std::string& text, const Env& env = {}) {
  auto config = Config::Parse(text, env);
  if (config) return "OK";
  EXPECT_EQ(config.error().code(), StatusCode::kInvalidArgument) << config.error().ToString();
  return config.error().message();
}

TEST(ConfigEndpointsTest, EverySchemeIsAcceptedForRpc) {
  for (const std::string url : {"http://127.0.0.1:8545", "https://h/v3/k", "ws://h:8546",
                                "wss://h/ws"}) {
    EXPECT_EQ(ErrorOf(Chain("rpc = \"" + url + "\"\n")), "OK") << url;
  }
}

TEST(ConfigEndpointsTest, BadSchemeIsNamedWithTheUrlRedacted) {
  std::string e = ErrorOf(Chain("rpc = \"ftp://h/0123456789abcdef0123\"\n"));
  EXPECT_NE(e.find("chains[0].rpc"), std::string::npos) << e;
  EXPECT_NE(e.find("scheme ftp"), std::string::npos) << e;
  EXPECT_EQ(e.find("0123456789abcdef0123"), std::string::npos) << e;
  EXPECT_NE(ErrorOf(Chain("rpc = \"127.0.0.1:8545\"\n")).find("no scheme"), std::string::npos);
}

TEST(ConfigEndpointsTest, WsTakesOnlyWebSocketsAndNeedsRpc) {
  EXPECT_EQ(ErrorOf(Chain("rpc = \"https://h/k\"\nws = \"wss://h/ws/k\"\n")), "OK");
  std::string http_ws = ErrorOf(Chain("rpc = \"https://h\"\nws = \"https://h\"\n"));
  EXPECT_NE(http_ws.find("chains[0].ws"), std::string::npos) << http_ws;
  std::string alone = ErrorOf(Chain("ws = \"wss://h\"\n"));
  EXPECT_NE(alone.find("chains[0].ws: set without chains[0].rpc"), std::string::npos) << alone;
}

TEST(ConfigEndpointsTest, MissingCaFileIsNamed) {
  std::string e = ErrorOf(Chain("rpc = \"https://h\"\nrpc_ca_file = \"/nonexistent/ca.pem\"\n"));
  EXPECT_NE(e.find("chains[0].rpc_ca_file"), std::string::npos) << e;
  EXPECT_NE(e.find("/nonexistent/ca.pem"), std::string::npos) << e;

  auto path = std::filesystem::temp_directory_path() / "chainflow_config_ca_test.pem";
  std::ofstream(path) << "not checked here: TLS set-up reads it\n";
  auto ok = Config::Parse(Chain("rpc = \"https://h\"\nrpc_ca_file = \"" + path.string() + "\"\n"),
                          {});
  ASSERT_TRUE(ok) << ok.error().ToString();
  EXPECT_EQ(ok.value().chains[0].rpc_ca_file, path.string());
  std::filesystem::remove(path);
}

TEST(ConfigEndpointsTest, HeadersFromTableAndEnvironment) {
  auto c = Config::Parse(
      Chain("rpc = \"https://h\"\nrpc_headers = { \"x-api-key\" = \"k1\", Authorization = "
            "\"Bearer t\" }\n"),
      {});
  ASSERT_TRUE(c) << c.error().ToString();
  std::map<std::string, std::string> want{{"x-api-key", "k1"}, {"Authorization", "Bearer t"}};
  EXPECT_EQ(c.value().chains[0].rpc_headers, want);

  auto env = Config::Parse(Chain("rpc = \"https://h\"\n"),
                           {{"CHAINFLOW_CHAINS_A_RPC_HEADERS", "x-api-key=k2;X-Other=a=b"}});
  ASSERT_TRUE(env) << env.error().ToString();
  std::map<std::string, std::string> want_env{{"x-api-key", "k2"}, {"X-Other", "a=b"}};
  EXPECT_EQ(env.value().chains[0].rpc_headers, want_env);
}

TEST(ConfigEndpointsTest, BadHeadersAreNamedWithoutTheirValues) {
  std::string name = ErrorOf(Chain("rpc_headers = { \"bad name\" = \"SECRETVALUE\" }\n"));
  EXPECT_NE(name.find("chains[0].rpc_headers"), std::string::npos) << name;
  EXPECT_EQ(name.find("SECRETVALUE"), std::string::npos) << name;
  std::string crlf = ErrorOf(Chain("rpc_headers = { x = \"SECRET\\r\\nInjected: 1\" }\n"));
  EXPECT_NE(crlf.find("chains[0].rpc_headers.x"), std::string::npos) << crlf;
  EXPECT_EQ(crlf.find("SECRET"), std::string::npos) << crlf;
  std::string type = ErrorOf(Chain("rpc_headers = { x = 1 }\n"));
  EXPECT_NE(type.find("chains[0].rpc_headers.x"), std::string::npos) << type;
  std::string env = ErrorOf(Chain(""), {{"CHAINFLOW_CHAINS_A_RPC_HEADERS", "novalue"}});
  EXPECT_NE(env.find("CHAINFLOW_CHAINS_A_RPC_HEADERS"), std::string::npos) << env;
}

}  // namespace
}  // namespace chainflow::engine::core
