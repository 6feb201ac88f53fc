// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

// A ticket contract made by a factory (tests/integration/contract_events_test.cc).
contract Ticket {
    event TicketsPurchased(address indexed buyer, uint256 count, uint256 total);
    event CheckIn(address indexed holder, uint256 indexed ticketId);

    uint256 public sold;

    // Emitted before the factory announces the ticket: not one of its events yet.
    constructor() {
        emit TicketsPurchased(address(0), 0, 0);
    }

    function buy(uint256 count) external {
        sold += count;
        emit TicketsPurchased(msg.sender, count, sold);
    }

    function checkIn(uint256 ticketId) external {
        emit CheckIn(msg.sender, ticketId);
    }
}

contract TestTicketFactory {
    event EventCreated(address indexed ticket, string title);

    function create(string calldata title) external returns (address) {
        Ticket ticket = new Ticket();
        emit EventCreated(address(ticket), title);
        return address(ticket);
    }
}
