#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace chainflow::engine::core {

// Canonical status codes (the gRPC/Abseil set). What each code means for a
// processing loop is decided in one place, the task supervisor (STYLE.md).
enum class StatusCode {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

std::string_view StatusCodeName(StatusCode code);

// The result of an operation that can fail. Cheap to copy when ok.
// A Status must be inspected; discard one on purpose with IgnoreError().
// Thread-compatible (immutable after construction).
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "InvalidArgument: line 7: bad hex" ("OK" when ok).
  std::string ToString() const;

  // Returns a copy whose message is "<context>: <message>"; ok stays ok.
  Status WithContext(std::string_view context) const;

  // The greppable way to ignore a status on purpose.
  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

Status InvalidArgumentError(std::string message);
Status NotFoundError(std::string message);
Status AlreadyExistsError(std::string message);
Status FailedPreconditionError(std::string message);
Status OutOfRangeError(std::string message);
Status UnavailableError(std::string message);
Status DeadlineExceededError(std::string message);
Status ResourceExhaustedError(std::string message);
Status AbortedError(std::string message);
Status InternalError(std::string message);
Status DataLossError(std::string message);
Status CancelledError(std::string message);
Status UnimplementedError(std::string message);
Status PermissionDeniedError(std::string message);
Status UnauthenticatedError(std::string message);

// True for the codes the supervisor retries with backoff.
bool IsRetryable(const Status& status);

}  // namespace chainflow::engine::core

namespace chainflow {
namespace core = engine::core;  // short alias used by every component
}  // namespace chainflow
