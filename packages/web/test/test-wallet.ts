import type { BrowserContext } from "playwright-core";
import { createWalletClient, type Hex, http } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";

/**
 * An EIP-1193 wallet injected into every page of `context`, announced by EIP-6963, as a
 * browser extension would be. It starts on another chain (1) and does not know the devnet's
 * until the app adds it; it signs in Node with its own key and counts every prompt a person
 * would see (signatures, transactions, chain changes).
 */
export async function injectTestWallet(context: BrowserContext, rpcUrl: string) {
  const account = privateKeyToAccount(generatePrivateKey());
  const wallet = createWalletClient({ account, chain: foundry, transport: http(rpcUrl) });
  const prompts: string[] = [];
  let chainId = 1;
  const known = new Set([1]);

  await context.exposeBinding("testWalletRequest", async (_source, method: string, paramsJson: string) => {
    const params = JSON.parse(paramsJson) as unknown[];
    switch (method) {
      case "eth_requestAccounts":
        prompts.push(method);
        return { result: [account.address] };
      case "eth_accounts":
        return { result: [account.address] };
      case "eth_chainId":
        return { result: `0x${chainId.toString(16)}` };
      case "wallet_switchEthereumChain": {
        prompts.push(method);
        const wanted = Number((params[0] as { chainId: string }).chainId);
        if (!known.has(wanted)) return { error: { code: 4902, message: "unknown chain" } };
        chainId = wanted;
        return { result: null };
      }
      case "wallet_addEthereumChain": {
        prompts.push(method);
        chainId = Number((params[0] as { chainId: string }).chainId);
        known.add(chainId);
        return { result: null };
      }
      case "eth_signTypedData_v4": {
        prompts.push(method);
        const typed = JSON.parse(params[1] as string);
        delete typed.types.EIP712Domain;
        return { result: await account.signTypedData(typed) };
      }
      case "eth_sendTransaction": {
        prompts.push(method);
        const tx = params[0] as { to: Hex; data?: Hex; value?: Hex; gas?: Hex };
        const hash = await wallet.sendTransaction({
          to: tx.to,
          data: tx.data,
          value: tx.value ? BigInt(tx.value) : undefined,
          gas: tx.gas ? BigInt(tx.gas) : undefined,
        });
        return { result: hash };
      }
      default: {
        const response = await fetch(rpcUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
        });
        return (await response.json()) as { result?: unknown; error?: unknown };
      }
    }
  });

  // A string, not a function: the test runner's transpiler would add helpers the page lacks.
  await context.addInitScript(`
    (() => {
      const provider = {
        async request({ method, params }) {
          const answer = await window.testWalletRequest(method, JSON.stringify(params ?? []));
          if (answer.error) throw Object.assign(new Error(answer.error.message), { code: answer.error.code });
          return answer.result;
        },
        on() {},
        removeListener() {},
      };
      const info = {
        uuid: "00000000-0000-4000-8000-000000000000",
        name: "Test Wallet",
        icon: "data:,",
        rdns: "org.hydrogen.test-wallet",
      };
      const announce = () =>
        window.dispatchEvent(
          new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }),
        );
      window.addEventListener("eip6963:requestProvider", announce);
      announce();
    })();
  `);

  return { address: account.address, prompts };
}
