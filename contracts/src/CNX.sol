// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title CNX, the Hydrogen network token
/// @notice A plain ERC-20 (18 decimals) with EIP-2612 `permit`, so an application can approve
/// and create a task in one transaction. The whole supply is minted to the deployer.
contract CNX is ERC20, ERC20Permit {
    constructor(uint256 initialSupply) ERC20("Hydrogen CNX", "CNX") ERC20Permit("Hydrogen CNX") {
        _mint(msg.sender, initialSupply);
    }
}
