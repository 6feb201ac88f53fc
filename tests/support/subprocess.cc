#include "tests/support/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace chainflow::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string TempPath(const char* what) {
  static std::atomic<int> counter{0};
  return "/tmp/cf_sub_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "." +
         what;
}

}  // namespace

Subprocess::Subprocess(std::vector<std::string> argv, std::map<std::string, std::string> env)
    : out_path_(TempPath("out")), err_path_(TempPath("err")) {
  std::map<std::string, std::string> full;
  for (char** e = environ; e && *e; ++e) {
    std::string s(*e);
    size_t eq = s.find('=');
    if (eq != std::string::npos) full[s.substr(0, eq)] = s.substr(eq + 1);
  }
  for (auto& [k, v] : env) full[k] = v;
  std::vector<std::string> env_strings;
  for (auto& [k, v] : full) env_strings.push_back(k + "=" + v);

  pid_ = ::fork();
  if (pid_ == 0) {
    int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
}

Subprocess::~Subprocess() {
  if (Running()) {
    Kill(SIGKILL);
    Wait(std::chrono::seconds(10));
  }
  ::unlink(out_path_.c_str());
  ::unlink(err_path_.c_str());
}

bool Subprocess::Running() {
  if (exited_ || pid_ <= 0) return false;
  int st = 0;
  pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    exited_ = true;
    status_ = st;
    return false;
  }
  return true;
}

int Subprocess::Wait(std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (Running()) {
    if (std::chrono::steady_clock::now() > until) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
  return -1;
}

void Subprocess::Kill(int signal) {
  if (pid_ > 0 && !exited_) ::kill(pid_, signal);
}

std::string Subprocess::Stdout() const { return ReadFile(out_path_); }
std::string Subprocess::Stderr() const { return ReadFile(err_path_); }

RunResult Run(std::vector<std::string> argv, std::map<std::string, std::string> env,
              std::chrono::milliseconds timeout) {
  Subprocess p(std::move(argv), std::move(env));
  int code = p.Wait(timeout);
  return {code, p.Stdout(), p.Stderr()};
}

std::string ChainflowBinary() {
  if (const char* b = std::getenv("CHAINFLOW_BINARY")) return b;
  return CHAINFLOW_BUILD_DIR "/chainflow";
}

}  // namespace chainflow::testing
