#include "engine/processors/common/net_amount.h"

namespace chainflow::engine::processors {
namespace {

// a + (sign) b, where a's sign is `net.negative` and b's is `b_negative`.
core::Result<NetAmount> AddSigned(const NetAmount& net, bool b_negative, const core::U256& b) {
  NetAmount out;
  if (net.negative == b_negative || net.magnitude == 0) {
    auto sum = core::CheckedAdd(net.magnitude, b);
    if (!sum) return core::OutOfRangeError("net amount overflows uint256");
    out.magnitude = sum.value();
    out.negative = net.magnitude == 0 ? b_negative : net.negative;
  } else if (net.magnitude >= b) {
    out.magnitude = net.magnitude - b;
    out.negative = net.negative;
  } else {
    out.magnitude = b - net.magnitude;
    out.negative = b_negative;
  }
  if (out.magnitude == 0) out.negative = false;
  return out;
}

}  // namespace

core::Result<NetAmount> Credit(const NetAmount& net, const core::U256& amount) {
  return AddSigned(net, /*b_negative=*/false, amount);
}

core::Result<NetAmount> Debit(const NetAmount& net, const core::U256& amount) {
  return AddSigned(net, /*b_negative=*/true, amount);
}

core::Result<NetAmount> Add(const NetAmount& a, const NetAmount& b) {
  return AddSigned(a, b.negative, b.magnitude);
}

core::Result<NetAmount> Subtract(const NetAmount& a, const NetAmount& b) {
  return AddSigned(a, !b.negative && b.magnitude != 0, b.magnitude);
}

}  // namespace chainflow::engine::processors
