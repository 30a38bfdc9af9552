import { describe, expect, it } from "vitest";
import { parseEnv, tlsDir } from "@/lib/env";

describe("MOIETY_DOMAIN and built-in HTTPS settings", () => {
  it("keeps TLS off and ports 80/443 by default", () => {
    const e = parseEnv({});
    expect(e.tls).toBe("off");
    expect(e.domain).toBeUndefined();
    expect(e.httpPort).toBe(80);
    expect(e.httpsPort).toBe(443);
  });
  it("turns on acme and derives the https origin from MOIETY_DOMAIN", () => {
    const e = parseEnv({ MOIETY_DOMAIN: "Social.Example." });
    expect(e.domain).toBe("social.example");
    expect(e.tls).toBe("acme");
    expect(e.origin).toBe("https://social.example");
  });
  it("lets a reverse proxy setup keep TLS off with a domain", () => {
    const e = parseEnv({ MOIETY_DOMAIN: "social.example", MOIETY_TLS: "off", PORT: "3000" });
    expect(e.tls).toBe("off");
    expect(e.origin).toBe("https://social.example");
    expect(e.port).toBe(3000);
  });
  it("takes the domain from an https origin when MOIETY_TLS=acme is set alone", () => {
    const e = parseEnv({ MOIETY_TLS: "acme", MOIETY_ORIGIN: "https://social.example:8443" });
    expect(e.domain).toBe("social.example");
    expect(e.origin).toBe("https://social.example:8443");
  });
  it("reads the test ports and the ACME directory", () => {
    const e = parseEnv({ MOIETY_DOMAIN: "a.test", MOIETY_HTTP_PORT: "5002", MOIETY_HTTPS_PORT: "5001", MOIETY_ACME_DIRECTORY: "https://127.0.0.1:14000/dir" });
    expect([e.httpPort, e.httpsPort, e.acmeDirectory]).toEqual([5002, 5001, "https://127.0.0.1:14000/dir"]);
  });
  it("puts certificates under the data dir", () => {
    expect(tlsDir(parseEnv({ MOIETY_DATA_DIR: "/srv/m" }))).toBe("/srv/m/tls");
  });
});

describe("MOIETY_DOMAIN errors", () => {
  it.each([
    ["https://social.example", /MOIETY_DOMAIN must be a domain name only/],
    ["social.example/x", /MOIETY_DOMAIN must be a domain name only/],
    ["localhost", /MOIETY_DOMAIN must be a domain name like social.example/],
    ["203.0.113.5", /MOIETY_DOMAIN must be a domain name like social.example/],
    ["-bad.example", /MOIETY_DOMAIN must be a domain name like/],
    ["so cial.example", /MOIETY_DOMAIN must be a domain name like/],
  ])("refuses %s", (value, message) => {
    expect(() => parseEnv({ MOIETY_DOMAIN: value })).toThrow(message);
  });
  it("refuses an origin on another host, or plain http with acme", () => {
    expect(() => parseEnv({ MOIETY_DOMAIN: "social.example", MOIETY_ORIGIN: "https://other.example" })).toThrow(
      "Invalid configuration: MOIETY_ORIGIN must use the host of MOIETY_DOMAIN (social.example), not other.example",
    );
    expect(() => parseEnv({ MOIETY_DOMAIN: "social.example", MOIETY_ORIGIN: "http://social.example" })).toThrow(
      /MOIETY_ORIGIN must start with https:\/\/ when MOIETY_TLS is acme/,
    );
  });
  it("needs a name to get a certificate for", () => {
    expect(() => parseEnv({ MOIETY_TLS: "acme", MOIETY_ORIGIN: "https://127.0.0.1" })).toThrow(/MOIETY_TLS=acme needs MOIETY_DOMAIN/);
    expect(() => parseEnv({ MOIETY_TLS: "acme" })).toThrow(/MOIETY_ORIGIN must start with https:\/\//);
  });
  it("refuses equal HTTP and HTTPS ports", () => {
    expect(() => parseEnv({ MOIETY_DOMAIN: "a.test", MOIETY_HTTP_PORT: "8080", MOIETY_HTTPS_PORT: "8080" })).toThrow(/must differ/);
  });
});
