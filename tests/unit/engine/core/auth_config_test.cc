// [auth] and [intents]: parsing, env overrides and secret resolution.
#include <gtest/gtest.h>

#include "engine/core/config.h"

namespace chainflow::engine::core {
namespace {

using Env = std::map<std::string, std::string>;

constexpr char kAuth[] = R"toml(
[auth]
max_clock_skew_s = 120
jwt_issuer = "issuer.example"
jwt_audience = "chainflow"
[[auth.keys]]
id = "partner-1"
secret_env = "PARTNER_SECRET"
[[auth.keys]]
id = "reader"
secret = "0123456789abcdef0123"
scopes = "intents:read"
[[auth.webhooks]]
provider = "stripe"
secret_env = "STRIPE_SECRET"
tolerance_s = 60
[intents]
idempotency_dir = "/tmp/idem"
max_body_bytes = 4096
)toml";

const Env kSecrets = {{"PARTNER_SECRET", "partner-secret-0123456789"},
                      {"STRIPE_SECRET", "whsec_0123456789abcdef"}};

std::string ErrorOf(const std::string& text, const Env& env) {
  auto config = Config::Parse(text, env);
  if (config) return "OK";
  EXPECT_EQ(config.error().code(), StatusCode::kInvalidArgument);
  return config.error().message();
}

TEST(AuthConfigTest, ParsesKeysWebhooksAndResolvesSecrets) {
  auto parsed = Config::Parse(kAuth, kSecrets);
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  const Config& c = parsed.value();
  EXPECT_EQ(c.auth.max_clock_skew_s, 120u);
  EXPECT_EQ(c.auth.jwt_issuer, "issuer.example");
  EXPECT_EQ(c.auth.jwt_audience, "chainflow");
  EXPECT_EQ(c.auth.jwt_leeway_s, 30u);  // default
  ASSERT_EQ(c.auth.keys.size(), 2u);
  EXPECT_EQ(c.auth.keys[0].id, "partner-1");
  EXPECT_EQ(c.auth.keys[0].secret, "partner-secret-0123456789");
  EXPECT_EQ(c.auth.keys[0].scopes, "intents:write");
  EXPECT_EQ(c.auth.keys[1].secret, "0123456789abcdef0123");
  EXPECT_EQ(c.auth.keys[1].scopes, "intents:read");
  ASSERT_EQ(c.auth.webhooks.size(), 1u);
  EXPECT_EQ(c.auth.webhooks[0].provider, "stripe");
  EXPECT_EQ(c.auth.webhooks[0].secret, "whsec_0123456789abcdef");
  EXPECT_EQ(c.auth.webhooks[0].tolerance_s, 60u);
  EXPECT_EQ(c.intents.idempotency_dir, "/tmp/idem");
  EXPECT_EQ(c.intents.max_body_bytes, 4096);
  EXPECT_EQ(c.intents.max_memo_bytes, 280);
}

TEST(AuthConfigTest, DefaultsWithoutSections) {
  auto parsed = Config::Parse("", {});
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed.value().auth.keys.empty());
  EXPECT_EQ(parsed.value().intents.idempotency_dir, "var/state.idempotency");
  auto custom = Config::Parse("[state]\ndir = \"/data/cf/\"\n", {});
  ASSERT_TRUE(custom);
  EXPECT_EQ(custom.value().intents.idempotency_dir, "/data/cf.idempotency");
}

TEST(AuthConfigTest, EnvironmentOverrides) {
  Env env = kSecrets;
  env["CHAINFLOW_AUTH_MAX_CLOCK_SKEW_S"] = "30";
  env["CHAINFLOW_AUTH_KEYS_PARTNER_1_SCOPES"] = "intents:write intents:read";
  env["CHAINFLOW_AUTH_WEBHOOKS_STRIPE_SECRET_ENV"] = "OTHER";
  env["OTHER"] = "another-secret-0123456";
  env["CHAINFLOW_INTENTS_MAX_MEMO_BYTES"] = "10";
  auto parsed = Config::Parse(kAuth, env);
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ(parsed.value().auth.max_clock_skew_s, 30u);
  EXPECT_EQ(parsed.value().auth.keys[0].scopes, "intents:write intents:read");
  EXPECT_EQ(parsed.value().auth.webhooks[0].secret, "another-secret-0123456");
  EXPECT_EQ(parsed.value().intents.max_memo_bytes, 10);
  env["CHAINFLOW_AUTH_KEYS_PARTNER_1_NOPE"] = "x";
  EXPECT_EQ(ErrorOf(kAuth, env),
            "environment variable CHAINFLOW_AUTH_KEYS_PARTNER_1_NOPE names no config key");
}

TEST(AuthConfigTest, ErrorsNameTheKey) {
  EXPECT_EQ(ErrorOf(kAuth, {{"STRIPE_SECRET", "whsec_0123456789abcdef"}}),
            "config key auth.keys[0].secret_env: environment variable PARTNER_SECRET is not set");
  EXPECT_EQ(ErrorOf("[auth]\nnope = 1\n", {}), "unknown config key auth.nope");
  EXPECT_EQ(ErrorOf("[[auth.keys]]\nid = \"a b\"\nsecret = \"0123456789abcdef\"\n", {}),
            "config key auth.keys[0].id: \"a b\" is not 1-64 of [A-Za-z0-9_.-]");
  EXPECT_EQ(ErrorOf("[[auth.keys]]\nid = \"a\"\nsecret = \"short\"\n", {}),
            "config key auth.keys[0]: the secret is shorter than 16 bytes");
  EXPECT_EQ(ErrorOf("[[auth.keys]]\nid = \"a\"\n", {}),
            "config key auth.keys[0]: secret or secret_env is required");
  EXPECT_EQ(ErrorOf("[[auth.keys]]\nid = \"a\"\nsecret = \"0123456789abcdef\"\n"
                    "[[auth.keys]]\nid = \"a\"\nsecret = \"0123456789abcdef\"\n",
                    {}),
            "config key auth.keys[1].id: duplicate \"a\"");
  EXPECT_EQ(ErrorOf("[[auth.webhooks]]\nprovider = \"Stripe\"\nsecret = \"0123456789abcdef\"\n",
                    {}),
            "config key auth.webhooks[0].provider: \"Stripe\" is not 1-64 of [a-z0-9_-]");
  EXPECT_EQ(ErrorOf("[intents]\nmax_body_bytes = 10\n", {}),
            "config key intents.max_body_bytes: 10 is out of range [256, 1048576]");
  EXPECT_EQ(ErrorOf("intents = 1\n", {}), "config key intents: expected a table ([intents])");
}

}  // namespace
}  // namespace chainflow::engine::core
