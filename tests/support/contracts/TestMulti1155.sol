// SPDX-License-Identifier: MIT
pragma solidity ^0.8.0;

/// Minimal ERC-1155 for chainflow's tests and demo. Anyone may mint; no URI; no receiver hook
/// is called (fine for EOAs, which is all the tests send to). Emits the standard events.
contract TestMulti1155 {
    event TransferSingle(
        address indexed operator, address indexed from, address indexed to, uint256 id, uint256 value
    );
    event TransferBatch(
        address indexed operator,
        address indexed from,
        address indexed to,
        uint256[] ids,
        uint256[] values
    );
    event ApprovalForAll(address indexed account, address indexed operator, bool approved);

    mapping(uint256 => mapping(address => uint256)) private _balances;
    mapping(address => mapping(address => bool)) private _operatorApprovals;

    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == 0x01ffc9a7 || interfaceId == 0xd9b67a26;
    }

    function balanceOf(address account, uint256 id) external view returns (uint256) {
        return _balances[id][account];
    }

    function balanceOfBatch(address[] calldata accounts, uint256[] calldata ids)
        external
        view
        returns (uint256[] memory balances)
    {
        require(accounts.length == ids.length, "length mismatch");
        balances = new uint256[](accounts.length);
        for (uint256 i = 0; i < accounts.length; ++i) {
            balances[i] = _balances[ids[i]][accounts[i]];
        }
    }

    function setApprovalForAll(address operator, bool approved) external {
        _operatorApprovals[msg.sender][operator] = approved;
        emit ApprovalForAll(msg.sender, operator, approved);
    }

    function isApprovedForAll(address account, address operator) external view returns (bool) {
        return _operatorApprovals[account][operator];
    }

    /// Open to anyone.
    function mint(address to, uint256 id, uint256 amount) external {
        require(to != address(0), "mint to zero address");
        _balances[id][to] += amount;
        emit TransferSingle(msg.sender, address(0), to, id, amount);
    }

    /// The holder burns its own tokens.
    function burn(uint256 id, uint256 amount) external {
        _debit(msg.sender, id, amount);
        emit TransferSingle(msg.sender, msg.sender, address(0), id, amount);
    }

    function safeTransferFrom(address from, address to, uint256 id, uint256 amount, bytes calldata)
        external
    {
        _authorize(from);
        require(to != address(0), "transfer to zero address");
        _debit(from, id, amount);
        _balances[id][to] += amount;
        emit TransferSingle(msg.sender, from, to, id, amount);
    }

    function safeBatchTransferFrom(
        address from,
        address to,
        uint256[] calldata ids,
        uint256[] calldata amounts,
        bytes calldata
    ) external {
        _authorize(from);
        require(to != address(0), "transfer to zero address");
        require(ids.length == amounts.length, "length mismatch");
        for (uint256 i = 0; i < ids.length; ++i) {
            _debit(from, ids[i], amounts[i]);
            _balances[ids[i]][to] += amounts[i];
        }
        emit TransferBatch(msg.sender, from, to, ids, amounts);
    }

    function _authorize(address from) private view {
        require(from == msg.sender || _operatorApprovals[from][msg.sender], "not authorized");
    }

    function _debit(address from, uint256 id, uint256 amount) private {
        uint256 balance = _balances[id][from];
        require(balance >= amount, "insufficient balance");
        unchecked {
            _balances[id][from] = balance - amount;
        }
    }
}
