import { describe, expect, it } from "vitest";
import { assertPublicUrl, isPrivateAddress, PrivateAddressError } from "@/lib/federation/safe-fetch";

// Every address form an attacker could put in a URL or a DNS answer to reach
// this machine, its network or a metadata service must count as private.

const privateV4 = [
  "0.0.0.0",
  "0.1.2.3",
  "10.0.0.1",
  "10.255.255.255",
  "100.64.0.1",
  "100.127.255.254",
  "127.0.0.1",
  "127.1.2.3",
  "169.254.169.254",
  "172.16.0.1",
  "172.31.255.255",
  "192.0.0.8",
  "192.0.2.1",
  "192.88.99.1",
  "192.168.1.1",
  "198.18.0.1",
  "198.19.255.255",
  "198.51.100.7",
  "203.0.113.9",
  "224.0.0.1",
  "239.255.255.250",
  "240.0.0.1",
  "255.255.255.255",
];

const publicV4 = [
  "1.1.1.1",
  "8.8.8.8",
  "9.255.255.255",
  "11.0.0.1",
  "100.63.255.255",
  "100.128.0.0",
  "126.255.255.255",
  "128.0.0.1",
  "169.253.255.255",
  "169.255.0.1",
  "172.15.255.255",
  "172.32.0.0",
  "192.167.255.255",
  "192.169.0.0",
  "198.17.255.255",
  "198.20.0.0",
  "223.255.255.255",
];

const privateV6 = [
  "::",
  "::1",
  "0:0:0:0:0:0:0:1",
  "[::1]",
  "fe80::1",
  "fe80::1%eth0",
  "febf:ffff::1",
  "fec0::1",
  "fc00::1",
  "fd12:3456:789a::1",
  "ff02::1",
  "ff0e::1",
  "100::1",
  "64:ff9b:1::1",
  "2001::1",
  "2001:0:4136:e378:8000:63bf:3fff:fdd2", // Teredo
  "2001:10::1",
  "2001:db8::1",
  "3fff::1",
  "5f00::1",
  "4000::1",
  // IPv4-mapped, in dotted and hex spelling
  "::ffff:127.0.0.1",
  "::ffff:7f00:1",
  "::FFFF:7F00:0001",
  "0:0:0:0:0:ffff:7f00:1",
  "::ffff:10.0.0.1",
  "::ffff:a00:1",
  "::ffff:169.254.169.254",
  "::ffff:a9fe:a9fe",
  "::ffff:192.168.0.1",
  "::ffff:0.0.0.0",
  // IPv4-translated
  "::ffff:0:127.0.0.1",
  // IPv4-compatible (deprecated), private and public alike
  "::127.0.0.1",
  "::7f00:1",
  "::8.8.8.8",
  // NAT64 of private IPv4
  "64:ff9b::127.0.0.1",
  "64:ff9b::7f00:1",
  "64:ff9b::10.1.2.3",
  "64:ff9b::a9fe:a9fe",
  // 6to4 of private IPv4
  "2002:7f00:1::1",
  "2002:c0a8:101::",
];

const publicV6 = [
  "2001:4860:4860::8888",
  "2606:4700:4700::1111",
  "2a00:1450:4001:80b::200e",
  "2001:200::1",
  "2400:cb00::1",
  "3ffe::1",
  "::ffff:8.8.8.8",
  "::ffff:808:808",
  "64:ff9b::8.8.8.8",
  "64:ff9b::101:101",
  "2002:808:808::1",
];

const notAddresses = ["", "localhost", "example.com", "127.1", "0x7f.0.0.1", "2130706433", "1.2.3.4.5", "::ffff:1.2.3", "gggg::1", "1::2::3"];

describe("isPrivateAddress", () => {
  it.each(privateV4)("IPv4 %s is private", (ip) => expect(isPrivateAddress(ip)).toBe(true));
  it.each(publicV4)("IPv4 %s is public", (ip) => expect(isPrivateAddress(ip)).toBe(false));
  it.each(privateV6)("IPv6 %s is private", (ip) => expect(isPrivateAddress(ip)).toBe(true));
  it.each(publicV6)("IPv6 %s is public", (ip) => expect(isPrivateAddress(ip)).toBe(false));
  it.each(notAddresses)("%j is not an address, so it is not trusted", (ip) => expect(isPrivateAddress(ip)).toBe(true));
});

describe("assertPublicUrl", () => {
  const refuse = (url: string, opts = {}) => expect(assertPublicUrl(url, { allowPrivate: false, ...opts })).rejects.toBeInstanceOf(PrivateAddressError);

  it("refuses schemes other than http and https, even when private addresses are allowed", async () => {
    for (const url of ["file:///etc/passwd", "ftp://example.com/", "gopher://example.com/", "data:text/plain,hi", "javascript:alert(1)"]) {
      await refuse(url);
      await expect(assertPublicUrl(url, { allowPrivate: true })).rejects.toBeInstanceOf(PrivateAddressError);
    }
  });

  it("refuses literal private hosts in every spelling the URL parser accepts", async () => {
    for (const url of [
      "http://127.0.0.1/",
      "http://127.1/", // the URL parser expands it to 127.0.0.1
      "http://2130706433/",
      "http://0x7f000001/",
      "http://0177.0.0.1/",
      "http://[::1]:8080/",
      "http://[::ffff:127.0.0.1]/",
      "http://[::ffff:7f00:1]/",
      "http://[64:ff9b::a9fe:a9fe]/latest/meta-data",
      "http://169.254.169.254/latest/meta-data",
      "https://10.0.0.1/inbox",
      "http://localhost:3000/",
      "http://LOCALHOST./",
      "http://localhost../", // every trailing dot, not just one
      "http://localhost.:8080/",
      "http://[64:ff9b::7f00:1]:8080/", // NAT64 of 127.0.0.1
      "http://[64:ff9b::127.0.0.1]/",
      "http://100.64.0.1/", // carrier-grade NAT
      "http://[::ffff:100.64.0.1]/",
      "http://api.localhost/",
    ]) {
      await refuse(url);
    }
  });

  it("refuses a name that resolves to a private address, if any of its addresses is private", async () => {
    const resolve = async () => [
      { address: "93.184.216.34", family: 4 },
      { address: "::ffff:10.0.0.5", family: 6 },
    ];
    await refuse("https://rebind.example/", { resolve });
  });

  it("accepts public literals and names that resolve to public addresses only", async () => {
    await expect(assertPublicUrl("https://8.8.8.8/", { allowPrivate: false })).resolves.toBeUndefined();
    await expect(assertPublicUrl("https://[2606:4700:4700::1111]/", { allowPrivate: false })).resolves.toBeUndefined();
    const resolve = async () => [{ address: "93.184.216.34", family: 4 }];
    await expect(assertPublicUrl("https://social.example/inbox", { allowPrivate: false, resolve })).resolves.toBeUndefined();
  });

  it("lets private addresses through only when allowed", async () => {
    await expect(assertPublicUrl("http://127.0.0.1:3000/", { allowPrivate: true })).resolves.toBeUndefined();
    await expect(assertPublicUrl("http://localhost:3000/", { allowPrivate: true })).resolves.toBeUndefined();
  });

  it("reports a name that does not resolve as a lookup failure, not as a refusal", async () => {
    const resolve = async () => {
      throw Object.assign(new Error("getaddrinfo ENOTFOUND nowhere.invalid"), { code: "ENOTFOUND" });
    };
    const error = await assertPublicUrl("https://nowhere.invalid/", { allowPrivate: false, resolve }).catch((e) => e);
    expect(error).not.toBeInstanceOf(PrivateAddressError);
    expect(error.code).toBe("ENOTFOUND");
  });
});
