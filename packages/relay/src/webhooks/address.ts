import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

/** The webhook URL may not be used; the reason says why. */
export class WebhookAddressError extends Error {
  override readonly name = "WebhookAddressError";
}

/** Whether an IP address is on the public internet (not private, loopback, link-local, multicast…). */
export function isPublicAddress(address: string): boolean {
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress())
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range() === "unicast";
}

/**
 * Checks a webhook URL before it is stored and before each delivery (a name may point
 * elsewhere later): http or https, and every address its host resolves to public, unless
 * `allowPrivate`. Returns the parsed URL.
 */
export async function checkWebhookUrl(text: string, allowPrivate: boolean): Promise<URL> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new WebhookAddressError(`not a URL: ${text.slice(0, 100)}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new WebhookAddressError(`only http and https URLs (got ${url.protocol})`);
  if (url.username || url.password) throw new WebhookAddressError("a webhook URL carries no credentials");
  if (allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const addresses = isIP(host)
    ? [host]
    : (await lookup(host, { all: true }).catch(() => [])).map((entry) => entry.address);
  if (addresses.length === 0) throw new WebhookAddressError(`${host} does not resolve`);
  const inside = addresses.find((address) => !isPublicAddress(address));
  if (inside) throw new WebhookAddressError(`${host} resolves to ${inside}, which is not a public address`);
  return url;
}
