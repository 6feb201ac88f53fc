#include "engine/core/status.h"

#include <gtest/gtest.h>

#include "engine/core/result.h"

namespace chainflow::engine::core {
namespace {

TEST(StatusTest, OkAndErrors) {
  Status ok;
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.ToString(), "OK");
  EXPECT_EQ(Status::Ok(), ok);
  Status err = InvalidArgumentError("line 7: bad hex");
  EXPECT_FALSE(err.ok());
  EXPECT_EQ(err.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(err.ToString(), "InvalidArgument: line 7: bad hex");
  EXPECT_EQ(DataLossError("x").ToString(), "DataLoss: x");
  EXPECT_EQ(FailedPreconditionError("x").code(), StatusCode::kFailedPrecondition);
}

TEST(StatusTest, WithContextPrefixesErrorsOnly) {
  EXPECT_EQ(NotFoundError("no file").WithContext("config").ToString(),
            "NotFound: config: no file");
  EXPECT_TRUE(Status::Ok().WithContext("config").ok());
  EXPECT_EQ(Status::Ok().WithContext("config").message(), "");
}

TEST(StatusTest, Retryable) {
  EXPECT_TRUE(IsRetryable(UnavailableError("")));
  EXPECT_TRUE(IsRetryable(DeadlineExceededError("")));
  EXPECT_TRUE(IsRetryable(ResourceExhaustedError("")));
  EXPECT_FALSE(IsRetryable(AbortedError("")));
  EXPECT_FALSE(IsRetryable(InvalidArgumentError("")));
  EXPECT_FALSE(IsRetryable(Status::Ok()));
}

TEST(StatusTest, CodeNames) {
  EXPECT_EQ(StatusCodeName(StatusCode::kOutOfRange), "OutOfRange");
  EXPECT_EQ(StatusCodeName(StatusCode::kUnauthenticated), "Unauthenticated");
  EXPECT_EQ(StatusCodeName(static_cast<StatusCode>(99)), "Unknown");
}

Result<int> Half(int v) {
  if (v % 2 != 0) return InvalidArgumentError("odd");
  return v / 2;
}

Result<int> Quarter(int v) {
  ASSIGN_OR_RETURN(int half, Half(v));
  ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

Status CheckEven(int v) {
  RETURN_IF_ERROR(Half(v).has_value() ? Status::Ok() : AbortedError("not even"));
  return Status::Ok();
}

Result<std::unique_ptr<int>> MoveOnly(bool fail) {
  if (fail) return UnavailableError("down");
  return std::make_unique<int>(7);
}

Status UseMoveOnly(bool fail, int* out) {
  ASSIGN_OR_RETURN(std::unique_ptr<int> p, MoveOnly(fail));
  *out = *p;
  return Status::Ok();
}

TEST(ResultTest, AssignOrReturnPropagates) {
  EXPECT_EQ(Quarter(8).value(), 2);
  auto first = Quarter(3);
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error(), InvalidArgumentError("odd"));
  auto second = Quarter(6);  // 6 -> 3 -> odd
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), StatusCode::kInvalidArgument);
}

TEST(ResultTest, ReturnIfErrorPropagates) {
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_EQ(CheckEven(5).code(), StatusCode::kAborted);
}

TEST(ResultTest, MoveOnlyValues) {
  int v = 0;
  EXPECT_TRUE(UseMoveOnly(false, &v).ok());
  EXPECT_EQ(v, 7);
  EXPECT_EQ(UseMoveOnly(true, &v).code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace chainflow::engine::core
