#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace chainflow::testing {

// A child process with captured stdout/stderr (into files). For integration
// tests that run the real `chainflow` binary.
class Subprocess {
 public:
  // Starts argv[0] with `argv` and the parent's environment plus `env`.
  Subprocess(std::vector<std::string> argv, std::map<std::string, std::string> env = {});
  ~Subprocess();  // kills (SIGKILL) a child still running
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Waits for exit; returns the exit code, or 128+signal, or -1 on timeout.
  int Wait(std::chrono::milliseconds timeout = std::chrono::minutes(10));
  void Kill(int signal);
  bool Running();
  pid_t pid() const { return pid_; }
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  bool exited_ = false;
  std::string out_path_;
  std::string err_path_;
};

// Runs to completion; returns {exit code, stdout, stderr}.
struct RunResult {
  int exit_code;
  std::string out;
  std::string err;
};
RunResult Run(std::vector<std::string> argv, std::map<std::string, std::string> env = {},
              std::chrono::milliseconds timeout = std::chrono::minutes(10));
// The same; a name that gtest's Test::Run does not hide inside TEST_F bodies.
inline RunResult RunCommand(std::vector<std::string> argv,
                            std::map<std::string, std::string> env = {},
                            std::chrono::milliseconds timeout = std::chrono::minutes(10)) {
  return Run(std::move(argv), std::move(env), timeout);
}

// The built chainflow binary (CHAINFLOW_BINARY env, else <build>/chainflow).
std::string ChainflowBinary();

}  // namespace chainflow::testing
