#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.h"

namespace chainflow::engine::abi {

// Arrays and tuples nest at most this deep (`uint256[][]` is depth 2). The
// decoder recurses along the type, so this also bounds its stack.
inline constexpr int kMaxTypeDepth = 32;
// The head of a fixed array or tuple (k elements times their head size) may
// not exceed this many bytes: larger types could never fit in a log's data.
inline constexpr uint64_t kMaxHeadBytes = uint64_t{1} << 24;

enum class TypeKind : uint8_t {
  kUint,        // uint8 .. uint256
  kInt,         // int8 .. int256
  kAddress,
  kBool,
  kFixedBytes,  // bytes1 .. bytes32
  kFunction,    // 24 bytes: address + selector, encoded like bytes24
  kBytes,
  kString,
  kFixedArray,  // T[k]
  kArray,       // T[]
  kTuple,       // (T1,...,Tn): a struct, from JSON "components"
};

// A Solidity ABI type: an immutable tree, cheap to copy (children shared).
// Thread-safe to read from any number of threads.
class AbiType {
 public:
  static AbiType Uint(int bits);          // bits: 8..256, a multiple of 8 (CHECKed)
  static AbiType Int(int bits);
  static AbiType Address();
  static AbiType Bool();
  static AbiType FixedBytes(int size);    // 1..32 (CHECKed)
  static AbiType Function();
  static AbiType Bytes();
  static AbiType String();
  // T[]; InvalidArgument past kMaxTypeDepth.
  static core::Result<AbiType> Array(AbiType element);
  // T[k], k >= 1; InvalidArgument past kMaxTypeDepth or kMaxHeadBytes.
  static core::Result<AbiType> FixedArray(AbiType element, uint64_t length);
  // A tuple of at least one component. Empty names become "arg<i>" (i: the
  // position in the tuple); duplicate names are InvalidArgument.
  static core::Result<AbiType> Tuple(std::vector<std::string> names, std::vector<AbiType> types);

  TypeKind kind() const { return kind_; }
  int bits() const { return bits_; }            // uintN/intN: N
  uint64_t size() const { return size_; }       // bytesN: N; T[k]: k
  const AbiType& element() const { return *element_; }                      // arrays
  const std::vector<AbiType>& components() const { return *components_; }  // tuples
  const std::vector<std::string>& component_names() const { return *names_; }
  // The same names, shared with decoded tuple values.
  const std::shared_ptr<const std::vector<std::string>>& shared_names() const { return names_; }

  // Dynamic per the ABI: bytes, string, T[], and T[k] or tuples containing one.
  bool is_dynamic() const { return dynamic_; }
  // Bytes the type takes in the head of an enclosing tuple: 32 if dynamic
  // (an offset), otherwise its whole static encoding.
  uint64_t head_size() const { return head_size_; }
  // Bytes of the k (or n) element heads of an array / components of a tuple.
  uint64_t inner_head_size() const { return inner_head_size_; }
  int depth() const { return depth_; }
  // One ABI word, decodable from a topic: the integer, address, bool,
  // bytesN and function types.
  bool is_elementary() const { return kind_ <= TypeKind::kFunction; }
  // The canonical name used in signatures: `uint256`, `bytes3[2]`,
  // `(address,uint256)[]`.
  const std::string& canonical() const { return canonical_; }

 private:
  AbiType() = default;
  static AbiType Elementary(TypeKind kind, int bits, uint64_t size, std::string canonical);

  TypeKind kind_ = TypeKind::kBool;
  int bits_ = 0;
  uint64_t size_ = 0;
  bool dynamic_ = false;
  uint64_t head_size_ = 32;
  uint64_t inner_head_size_ = 0;
  int depth_ = 0;
  std::string canonical_;
  std::shared_ptr<const AbiType> element_;
  std::shared_ptr<const std::vector<AbiType>> components_;
  std::shared_ptr<const std::vector<std::string>> names_;
};

// Parses a Solidity type as written in signatures and ABI JSON: `uint`,
// `int`, `uintN`/`intN`, `address`, `bool`, `bytesN`, `byte` (= bytes1),
// `bytes`, `string`, `function`, inline tuples `(t1,t2)`, and any number of
// `[k]` / `[]` suffixes applied left to right (`uint8[2][]` is a dynamic
// array of uint8[2]). Fixed-point types are rejected ("not supported"),
// as is anything else, with InvalidArgument naming the type.
core::Result<AbiType> ParseType(std::string_view text);

// As ParseType, for a JSON "type" whose base is `tuple` (`tuple`,
// `tuple[]`, `tuple[3][]`): `tuple` stands for `components`, the tuple
// built from the entry's "components". `components` may be null when the
// type is not a tuple.
core::Result<AbiType> ParseJsonType(std::string_view text, const AbiType* components);

}  // namespace chainflow::engine::abi
