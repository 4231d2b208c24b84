import type { EIP1193Provider } from "viem";

/** A wallet the browser offers (EIP-6963), or the legacy `window.ethereum`. */
export interface DiscoveredWallet {
  name: string;
  rdns: string;
  provider: EIP1193Provider;
}

interface AnnounceEvent extends Event {
  detail?: { info?: { name?: string; rdns?: string }; provider?: EIP1193Provider };
}

/**
 * The wallets installed in this browser: every EIP-6963 announcement within `ms`, then the
 * legacy injected `window.ethereum` when no wallet announced itself.
 */
export async function discoverWallets(ms = 300): Promise<DiscoveredWallet[]> {
  const found = new Map<string, DiscoveredWallet>();
  const onAnnounce = (event: Event) => {
    const { info, provider } = (event as AnnounceEvent).detail ?? {};
    if (!provider || !info?.rdns) return;
    found.set(info.rdns, { name: info.name ?? info.rdns, rdns: info.rdns, provider });
  };
  window.addEventListener("eip6963:announceProvider", onAnnounce);
  window.dispatchEvent(new Event("eip6963:requestProvider"));
  await new Promise((resolve) => setTimeout(resolve, ms));
  window.removeEventListener("eip6963:announceProvider", onAnnounce);
  if (found.size === 0 && window.ethereum)
    return [{ name: "Injected wallet", rdns: "injected", provider: window.ethereum }];
  return [...found.values()];
}

/** The chain the app needs, as `wallet_addEthereumChain` takes it. */
export interface ChainToAdd {
  chainId: number;
  name: string;
  rpcUrl: string;
}

/**
 * Puts the wallet on `chain`: `wallet_switchEthereumChain`, and when the wallet does not know
 * the chain (error 4902), `wallet_addEthereumChain` (which switches too). Nothing when it is
 * on it already.
 */
export async function ensureWalletChain(provider: EIP1193Provider, chain: ChainToAdd): Promise<void> {
  const hex = `0x${chain.chainId.toString(16)}` as const;
  if ((await provider.request({ method: "eth_chainId" })) === hex) return;
  try {
    await provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId: hex }] });
  } catch (error) {
    if ((error as { code?: number }).code !== 4902) throw error;
    await provider.request({
      method: "wallet_addEthereumChain",
      params: [
        {
          chainId: hex,
          chainName: chain.name,
          nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
          rpcUrls: [chain.rpcUrl],
        },
      ],
    });
  }
}
