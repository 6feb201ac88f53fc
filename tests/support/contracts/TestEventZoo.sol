// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

// Emits events with every kind of ABI parameter, their values a function of
// `seed` that tests/integration/contract_events_test.cc computes on its own,
// and one event of hostile values.
contract TestEventZoo {
    struct Seat {
        uint8 row;
        string label;
    }

    event Scalars(
        uint256 indexed seed,
        address indexed who,
        string indexed tag,
        int256 delta,
        bool odd,
        bytes3 code,
        int8 small
    );
    event Composites(
        uint256 indexed seed,
        bytes blob,
        string text,
        uint16[2] pair,
        uint256[] list,
        Seat seat,
        Seat[] seats
    );
    event Hostile(string text, uint256 big, int256 low, bytes blob);

    function digit(uint256 seed) internal pure returns (bytes1) {
        return bytes1(uint8(48 + (seed % 10)));
    }

    function emitEverything(uint256 seed) external {
        emit Scalars(
            seed,
            msg.sender,
            string(abi.encodePacked("tag", digit(seed))),
            -int256(seed) * 1000,
            seed % 2 == 1,
            bytes3(uint24(seed)),
            int8(-int256(seed % 128))
        );
        uint256[] memory list = new uint256[](seed % 4);
        for (uint256 i = 0; i < list.length; i++) list[i] = seed * 10 + i;
        Seat[] memory seats = new Seat[](seed % 3);
        for (uint256 i = 0; i < seats.length; i++) {
            seats[i] = Seat(uint8(i + 1), string(abi.encodePacked("s", bytes1(uint8(97 + i)))));
        }
        emit Composites(
            seed,
            abi.encodePacked(uint16(seed)),
            string(abi.encodePacked("text-", digit(seed))),
            [uint16(seed), uint16(seed + 1)],
            list,
            Seat(uint8(seed % 256), "front"),
            seats
        );
    }

    function emitHostile() external {
        emit Hostile(
            string(abi.encodePacked("nul", bytes1(0), "tab\t", "nl\n", unicode"😀", bytes1(0xff))),
            type(uint256).max,
            type(int256).min,
            hex"00ff"
        );
    }
}
