#include "engine/core/url.h"

#include <gtest/gtest.h>

namespace chainflow::engine::core {
namespace {

EndpointUrl Parsed(const std::string& url) {
  auto parsed = ParseEndpointUrl(url);
  EXPECT_TRUE(parsed) << url << ": " << parsed.error().ToString();
  return parsed ? parsed.value() : EndpointUrl{};
}

TEST(ParseEndpointUrlTest, SchemesAndDefaultPorts) {
  struct Case {
    std::string url, scheme, host, port, target;
    bool tls, websocket;
  };
  for (const Case& c : std::vector<Case>{
           {"http://127.0.0.1:8545", "http", "127.0.0.1", "8545", "/", false, false},
           {"http://node", "http", "node", "80", "/", false, false},
           {"https://mainnet.infura.io/v3/abc", "https", "mainnet.infura.io", "443", "/v3/abc",
            true, false},
           {"HTTPS://h:8443/x?k=v", "https", "h", "8443", "/x?k=v", true, false},
           {"ws://127.0.0.1:8546", "ws", "127.0.0.1", "8546", "/", false, true},
           {"ws://h/path", "ws", "h", "80", "/path", false, true},
           {"wss://eth.example/ws/key#frag", "wss", "eth.example", "443", "/ws/key", true, true},
           {"wss://[::1]:9000/", "wss", "::1", "9000", "/", true, true},
           {"http://[::1]", "http", "::1", "80", "/", false, false},
       }) {
    EndpointUrl u = Parsed(c.url);
    EXPECT_EQ(u.scheme, c.scheme) << c.url;
    EXPECT_EQ(u.host, c.host) << c.url;
    EXPECT_EQ(u.port, c.port) << c.url;
    EXPECT_EQ(u.target, c.target) << c.url;
    EXPECT_EQ(u.tls(), c.tls) << c.url;
    EXPECT_EQ(u.websocket(), c.websocket) << c.url;
  }
}

TEST(ParseEndpointUrlTest, UserinfoIsSeparated) {
  EndpointUrl u = Parsed("https://alice:s3cret@node.example:8443/rpc");
  EXPECT_EQ(u.userinfo, "alice:s3cret");
  EXPECT_EQ(u.host, "node.example");
  EXPECT_EQ(u.port, "8443");
}

TEST(ParseEndpointUrlTest, BadUrlsAreInvalidAndRedacted) {
  for (const std::string url :
       {"ftp://h/x", "127.0.0.1:8545", "http://", "http://:80", "http://h:0", "http://h:65536",
        "http://h:8a", "wss://[::1", "https://user:pw@/v3/0123456789abcdef0123456789abcdef"}) {
    auto parsed = ParseEndpointUrl(url);
    ASSERT_FALSE(parsed) << url;
    EXPECT_EQ(parsed.error().code(), StatusCode::kInvalidArgument) << url;
    EXPECT_EQ(parsed.error().message().find("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(parsed.error().message().find("pw"), std::string::npos);
  }
  EXPECT_NE(ParseEndpointUrl("ftp://h/x").error().message().find("scheme ftp"),
            std::string::npos);
}

TEST(RedactUrlTest, ProviderKeys) {
  EXPECT_EQ(RedactUrl("https://mainnet.infura.io/v3/9aa3d95b3bc440fa88ea12eaa4456161"),
            "https://mainnet.infura.io/v3/***");
  EXPECT_EQ(RedactUrl("wss://eth-mainnet.g.alchemy.com/v2/Xy_Z-1234567890abcdefghijkl"),
            "wss://eth-mainnet.g.alchemy.com/v2/***");
  EXPECT_EQ(RedactUrl("https://frosty-tiny-sound.quiknode.pro/4f3e2d1c0b9a8f7e6d5c4b3a/"),
            "https://frosty-tiny-sound.quiknode.pro/***/");
  EXPECT_EQ(RedactUrl("https://rpc.ankr.com/eth/0123456789abcdef"), "https://rpc.ankr.com/eth/***");
  EXPECT_EQ(RedactUrl("https://api.example/rpc?apikey=SECRET&network=main"),
            "https://api.example/rpc?apikey=***&network=***");
  EXPECT_EQ(RedactUrl("https://api.example/?SECRETTOKEN"), "https://api.example/?***");
  EXPECT_EQ(RedactUrl("https://bob:hunter2@node.example:8443/"), "https://***@node.example:8443/");
  EXPECT_EQ(RedactUrl("wss://node.example/ws#token"), "wss://node.example/ws#***");
  EXPECT_EQ(RedactUrl("http://node/abc123"), "http://node/***");  // short but not a plain word
}

TEST(RedactUrlTest, PlainUrlsAreUnchanged) {
  for (const std::string url : {"http://127.0.0.1:8545", "http://127.0.0.1:8545/",
                                "ws://localhost:8546/ws", "https://rpc.example/mainnet/v1"}) {
    EXPECT_EQ(RedactUrl(url), url);
  }
}

TEST(RedactUrlTest, TextWithoutSchemeIsHiddenUnlessHarmless) {
  EXPECT_EQ(RedactUrl("127.0.0.1:8545"), "127.0.0.1:8545");
  EXPECT_EQ(RedactUrl("user:pw@host/key"), "<url:***>");
  EXPECT_EQ(RedactUrl(""), "");
}

}  // namespace
}  // namespace chainflow::engine::core
