import { cnxAbi } from "@hydrogen/protocol";
import { sendTransactionCall, waitForReceipt } from "@hydrogen/sdk";
import type { Command } from "commander";
import { type Address, encodeFunctionData, formatEther, type Hash, parseEther } from "viem";
import { type ConnectionOptions, connectionOptions, resolveConnection, sdkClient } from "../connection.ts";
import { CliError, EXIT } from "../exit.ts";
import { Output } from "../output.ts";
import { address } from "../parse.ts";

interface SendOptions extends ConnectionOptions {
  cnx?: boolean;
  json?: boolean;
}

/**
 * `hydrogen wallet send <to> <amount> [--cnx]`: ETH for gas, or CNX for stakes and fees, from
 * this account to a node or an application (docs/node.md asks operators to fund their nodes).
 */
export function sendCommand(wallet: Command, env: NodeJS.ProcessEnv): void {
  connectionOptions(
    wallet
      .command("send")
      .description("send ETH (or CNX with --cnx) from this account, e.g. gas money or a stake for a node")
      .argument("<to>", "the receiving address", address)
      .argument("<amount>", "in ETH, or CNX with --cnx (decimal, e.g. 0.5)")
      .option("--cnx", "send CNX instead of ETH")
      .option("--json", "print as JSON"),
  ).action(async (to: Address, amountText: string, options: SendOptions) => {
    let amount: bigint;
    try {
      amount = parseEther(amountText);
    } catch {
      throw new CliError(`not an amount: ${amountText}`);
    }
    if (amount <= 0n) throw new CliError("the amount must be more than 0");
    const connection = await resolveConnection(options, env, { account: true });
    const client = sdkClient(connection);
    const wallet = client.walletClient;
    if (!wallet) throw new CliError("no account: give --keystore or set HYDROGEN_PRIVATE_KEY");
    const from = wallet.account.address;
    const unit = options.cnx ? "CNX" : "ETH";
    const balance = options.cnx
      ? ((await client.publicClient.readContract({
          address: client.contracts.CNX,
          abi: cnxAbi,
          functionName: "balanceOf",
          args: [from],
        })) as bigint)
      : await client.publicClient.getBalance({ address: from });
    if (balance < amount) {
      throw new CliError(`${from} holds ${formatEther(balance)} ${unit}, less than ${amountText}`, EXIT.refused);
    }
    const hash: Hash = await sendTransactionCall(
      client,
      wallet,
      options.cnx
        ? {
            to: client.contracts.CNX,
            data: encodeFunctionData({ abi: cnxAbi, functionName: "transfer", args: [to, amount] }),
          }
        : { to, value: amount },
    );
    const receipt = await waitForReceipt(client, hash);
    if (receipt.status !== "success") throw new CliError(`the transfer ${hash} reverted`, EXIT.refused);
    new Output(Boolean(options.json)).result(
      { from, to, amount: amount.toString(), unit, transactionHash: hash, blockNumber: receipt.blockNumber.toString() },
      `sent ${amountText} ${unit} from ${from} to ${to} (tx ${hash})`,
    );
  });
}
