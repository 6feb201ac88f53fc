// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

// A small DAO and charity for the ops/up demo: proposals and votes, auction
// bids and donations. Indexed by its ABI only ([[contracts]] name = "dao").
contract TestDao {
    event ProposalCreated(uint256 indexed id, address indexed proposer, string title, uint64 deadline);
    event VoteCast(uint256 indexed proposalId, address indexed voter, bool support, uint256 weight);
    event BidPlaced(uint256 indexed auctionId, address indexed bidder, uint256 amount);
    event DonationReceived(address indexed donor, uint256 amount, string memo);

    uint256 public proposals;

    function propose(string calldata title) external {
        proposals += 1;
        emit ProposalCreated(proposals, msg.sender, title, uint64(block.timestamp + 3 days));
    }

    function vote(uint256 proposalId, bool support, uint256 weight) external {
        require(proposalId >= 1 && proposalId <= proposals, "no such proposal");
        emit VoteCast(proposalId, msg.sender, support, weight);
    }

    function bid(uint256 auctionId, uint256 amount) external {
        emit BidPlaced(auctionId, msg.sender, amount);
    }

    function donate(uint256 amount, string calldata memo) external {
        emit DonationReceived(msg.sender, amount, memo);
    }
}
