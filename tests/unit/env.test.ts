import { describe, expect, it } from "vitest";
import { parseEnv, EnvError } from "@/lib/env";

describe("parseEnv", () => {
  it("uses the documented defaults", () => {
    const e = parseEnv({});
    expect(e.origin).toBe("http://localhost:3000");
    expect(e.host).toBe("127.0.0.1");
    expect(e.port).toBe(3000);
    expect(e.tls).toBe("off");
    expect(e.allowPrivateAddresses).toBe(false);
    expect(e.dataDir.endsWith("/data")).toBe(true);
  });
});

describe("parseEnv errors", () => {
  it("names each bad variable in one line", () => {
    expect(() => parseEnv({ PORT: "99999", MOIETY_ORIGIN: "social.example" })).toThrow(EnvError);
    try {
      parseEnv({ PORT: "99999", MOIETY_ORIGIN: "social.example", MOIETY_TLS: "maybe" });
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).not.toContain("\n");
      expect(msg).toMatch(/PORT must be between 1 and 65535/);
      expect(msg).toMatch(/MOIETY_ORIGIN must be an absolute URL/);
      expect(msg).toMatch(/MOIETY_TLS must be off or acme/);
    }
  });
  it("refuses an origin with a path", () => {
    expect(() => parseEnv({ MOIETY_ORIGIN: "https://social.example/moiety" })).toThrow(/origin only/);
  });
  it("normalises the origin and follows PORT when no origin is given", () => {
    expect(parseEnv({ MOIETY_ORIGIN: "https://Social.Example/" }).origin).toBe("https://social.example");
    expect(parseEnv({ PORT: "4000" }).origin).toBe("http://localhost:4000");
  });
  it("treats empty values as unset and reads the flags", () => {
    const e = parseEnv({ PORT: "", MOIETY_ALLOW_PRIVATE_ADDRESSES: "1", MOIETY_TRUST_PROXY: "0", MOIETY_DATA_DIR: "/srv/m" });
    expect(e.port).toBe(3000);
    expect(e.allowPrivateAddresses).toBe(true);
    expect(e.trustProxy).toBe(false);
    expect(e.dataDir).toBe("/srv/m");
  });
});
