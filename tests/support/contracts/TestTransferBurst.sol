// SPDX-License-Identifier: MIT
pragma solidity ^0.8.0;

/// Emits many ERC-721 Transfer events per transaction, for ingest tests and the backfill
/// benchmark. Keeps no ownership state (a mint loop with storage would cost ~25k gas per token
/// instead of ~2k), so the events are what a real collection's mints look like on the wire but
/// ownerOf is not served.
contract TestTransferBurst {
    event Transfer(address indexed from, address indexed to, uint256 indexed tokenId);

    /// Mints tokens firstId .. firstId + count - 1, cycling the receivers over `to` and
    /// `to + 1 .. to + 7` (as addresses), so owners differ from token to token.
    function mintBurst(address to, uint256 firstId, uint256 count) external {
        uint160 base = uint160(to);
        for (uint256 i = 0; i < count; ++i) {
            emit Transfer(address(0), address(base + uint160(i % 8)), firstId + i);
        }
    }
}
