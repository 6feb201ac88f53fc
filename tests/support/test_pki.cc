#include "tests/support/test_pki.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "tests/support/subprocess.h"

namespace chainflow::testing {
namespace {

const std::vector<std::string> kEcKey = {"-newkey", "ec", "-pkeyopt",
                                         "ec_paramgen_curve:prime256v1", "-nodes"};

bool Openssl(std::vector<std::string> args, std::string* why) {
  args.insert(args.begin(), "openssl");
  args.insert(args.begin(), "/usr/bin/env");
  RunResult r = Run(args, {}, std::chrono::seconds(30));
  if (r.exit_code != 0) *why = "openssl " + args[2] + " failed: " + r.err;
  return r.exit_code == 0;
}

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A leaf for `san` ("DNS:localhost,IP:127.0.0.1") signed by the CA in `dir`.
bool Leaf(const std::string& dir, const std::string& name, const std::string& san,
          std::string* why) {
  std::string ext = dir + "/" + name + ".ext";
  std::ofstream(ext) << "subjectAltName=" << san
                     << "\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
                        "extendedKeyUsage=serverAuth\n";
  return Openssl(Concat({"req"}, Concat(kEcKey, {"-keyout", dir + "/" + name + ".key", "-out",
                                                 dir + "/" + name + ".csr", "-subj",
                                                 "/CN=" + name})),
                 why) &&
         Openssl({"x509", "-req", "-in", dir + "/" + name + ".csr", "-CA", dir + "/ca.pem",
                  "-CAkey", dir + "/ca.key", "-CAcreateserial", "-days", "1", "-out",
                  dir + "/" + name + ".pem", "-extfile", ext},
                 why);
}

}  // namespace

TestPki::~TestPki() {
  std::error_code ec;
  if (!dir.empty()) std::filesystem::remove_all(dir, ec);
}

std::unique_ptr<TestPki> MakeTestPki(std::string* why) {
  std::string templ = (std::filesystem::temp_directory_path() / "chainflow-pki-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr) {
    *why = "mkdtemp failed";
    return nullptr;
  }
  auto owned = std::make_unique<TestPki>();
  TestPki& pki = *owned;
  pki.dir = templ;
  const std::string& d = pki.dir;
  bool ok =
      Openssl(Concat({"req", "-x509"},
                     Concat(kEcKey, {"-keyout", d + "/ca.key", "-out", d + "/ca.pem", "-days",
                                     "1", "-subj", "/CN=chainflow test CA", "-addext",
                                     "basicConstraints=critical,CA:TRUE", "-addext",
                                     "keyUsage=critical,keyCertSign,cRLSign"})),
              why) &&
      Leaf(d, "localhost", "DNS:localhost,IP:127.0.0.1", why) &&
      Leaf(d, "other", "DNS:other.example", why) &&
      Openssl(Concat({"req", "-x509"},
                     Concat(kEcKey, {"-keyout", d + "/self.key", "-out", d + "/self.pem", "-days",
                                     "1", "-subj", "/CN=localhost", "-addext",
                                     "subjectAltName=DNS:localhost,IP:127.0.0.1"})),
              why);
  if (!ok) return nullptr;
  pki.ca_pem = d + "/ca.pem";
  pki.server_pem = d + "/localhost.pem";
  pki.server_key = d + "/localhost.key";
  pki.other_host_pem = d + "/other.pem";
  pki.other_host_key = d + "/other.key";
  pki.self_signed_pem = d + "/self.pem";
  pki.self_signed_key = d + "/self.key";
  return owned;
}

}  // namespace chainflow::testing
