#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/core/address.h"
#include "engine/core/result.h"
#include "engine/core/u256.h"

namespace chainflow::api::handlers {

// The last key of a page of GET /v1/owners/{address}/nfts: listings are
// ordered by (chain, contract, token_id, standard).
struct OwnerNftKey {
  std::string chain;
  core::Address contract;
  core::U256 token_id;
  std::string standard;  // "erc721" | "erc1155"

  friend bool operator==(const OwnerNftKey&, const OwnerNftKey&) = default;
};

// The opaque page cursor: base64url (no padding) of a versioned text record
// of `key` and a CRC-32 over the record and `scope`. `scope` names the query
// the cursor belongs to (owner and filters), so a cursor replayed against
// another query, truncated or edited is rejected. The CRC detects edits, it
// does not authenticate: a forged cursor can only name another start key,
// which every field is validated as.
std::string EncodeCursor(const OwnerNftKey& key, std::string_view scope);

// InvalidArgument "cursor: ..." for anything EncodeCursor(_, scope) did not make.
core::Result<OwnerNftKey> DecodeCursor(std::string_view cursor, std::string_view scope);

// The same cursor for any listing whose key is a few text fields (e.g.
// chain, token, account): base64url of a versioned record of the fields
// (which must not contain '\n') and the CRC-32 over it and `scope`.
std::string EncodeKeyCursor(const std::vector<std::string>& key, std::string_view scope);

// The fields EncodeKeyCursor(key, scope) took, when they are `fields` many;
// InvalidArgument "cursor: ..." otherwise. The caller validates each field.
core::Result<std::vector<std::string>> DecodeKeyCursor(std::string_view cursor,
                                                       std::string_view scope, size_t fields);

// RFC 4648 §5 base64url without padding.
std::string Base64UrlEncode(std::string_view bytes);
// Strict: rejects padding, characters outside the alphabet, impossible
// lengths and non-zero trailing bits.
core::Result<std::string> Base64UrlDecode(std::string_view text);

}  // namespace chainflow::api::handlers
