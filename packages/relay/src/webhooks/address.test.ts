import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkWebhookUrl, isPublicAddress } from "./address.ts";

describe("webhook addresses", () => {
  it("tells public addresses from private, loopback, link-local and mapped ones", () => {
    for (const address of ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"]) assert.ok(isPublicAddress(address), address);
    for (const address of [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "::1",
      "fe80::1",
      "fc00::1",
      "::ffff:127.0.0.1",
      "224.0.0.1",
    ])
      assert.equal(isPublicAddress(address), false, address);
  });

  it("refuses URLs that are not http(s), carry credentials, or reach inside, unless private ones are allowed", async () => {
    const refused = async (url: string) =>
      assert.rejects(checkWebhookUrl(url, false), (error: Error) => error.name === "WebhookAddressError", url);
    await refused("ftp://example.com/hook");
    await refused("not a url");
    await refused("https://user:pass@8.8.8.8/hook");
    await refused("http://127.0.0.1:8080/hook");
    await refused("http://[::1]/hook");
    await refused("http://169.254.169.254/latest/meta-data");
    await refused("http://localhost/hook");
    assert.equal((await checkWebhookUrl("https://8.8.8.8/hook", false)).hostname, "8.8.8.8");
    assert.equal((await checkWebhookUrl("http://127.0.0.1:9/hook", true)).port, "9");
  });
});
