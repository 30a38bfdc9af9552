import path from "node:path";
import { z } from "zod";

// The only reader of process.env in the app. Everything else asks here, so a
// bad value fails once, early, with a sentence that names the variable.

const flag = z
  .enum(["", "0", "1", "true", "false"], { message: "must be 1 or 0" })
  .optional()
  .transform((v) => v === "1" || v === "true");

const origin = z
  .string()
  .trim()
  .transform((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: "custom", message: `must be an absolute URL like https://social.example (got "${value}")` });
      return z.NEVER;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      ctx.addIssue({ code: "custom", message: `must start with https:// or http:// (got "${value}")` });
      return z.NEVER;
    }
    if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash || url.username || url.password) {
      ctx.addIssue({ code: "custom", message: `must be an origin only, without path, query or credentials (got "${value}")` });
      return z.NEVER;
    }
    return url.origin;
  });

const port = (fallback: number) =>
  z.coerce
    .number({ message: "must be a port number" })
    .int("must be a whole number")
    .min(1, "must be between 1 and 65535")
    .max(65535, "must be between 1 and 65535")
    .default(fallback);

/** A bare DNS name, as it appears in a certificate: social.example, not a URL. */
const domain = z
  .string()
  .trim()
  .toLowerCase()
  .transform((value, ctx) => {
    const name = value.replace(/\.$/, "");
    const label = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
    if (/^[a-z][a-z0-9+.-]*:\/\//.test(name) || name.includes("/")) {
      ctx.addIssue({ code: "custom", message: `must be a domain name only, like social.example, without https:// or a path (got "${value}")` });
      return z.NEVER;
    }
    if (name.length > 253 || !name.includes(".") || !name.split(".").every((l) => label.test(l)) || /^[0-9.]+$/.test(name)) {
      ctx.addIssue({ code: "custom", message: `must be a domain name like social.example (got "${value}")` });
      return z.NEVER;
    }
    return name;
  });

const schema = z.object({
  MOIETY_DATA_DIR: z.string().trim().min(1).default("./data"),
  MOIETY_ORIGIN: origin.optional(),
  HOST: z.string().trim().min(1).default("127.0.0.1"),
  PORT: port(3000),
  MOIETY_DOMAIN: domain.optional(),
  // Default: acme when MOIETY_DOMAIN is set, off otherwise (see parseEnv).
  MOIETY_TLS: z.enum(["off", "acme"], { message: "must be off or acme" }).optional(),
  MOIETY_HTTP_PORT: port(80),
  MOIETY_HTTPS_PORT: port(443),
  MOIETY_ACME_DIRECTORY: z.url({ message: "must be a URL" }).default("https://acme-v02.api.letsencrypt.org/directory"),
  MOIETY_ALLOW_PRIVATE_ADDRESSES: flag,
  MOIETY_TRUST_PROXY: flag,
  NEXTAUTH_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  // `moiety serve` makes a fresh one on every start unless one is given (tests give one to knock
  // on the private port, tests/helpers/server.ts); not for people to set.
  MOIETY_FRONT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  NODE_ENV: z.string().default("production"),
});

export type Env = {
  dataDir: string;
  origin: string;
  host: string;
  /** Plain HTTP port of the front server when tls is "off". */
  port: number;
  /** The name the built-in HTTPS gets a certificate for (MOIETY_DOMAIN, else the https origin's host). */
  domain: string | undefined;
  tls: "off" | "acme";
  /** With tls "acme": the port for ACME challenges and redirects, and the HTTPS port. */
  httpPort: number;
  httpsPort: number;
  acmeDirectory: string;
  allowPrivateAddresses: boolean;
  trustProxy: boolean;
  authSecret: string | undefined;
  /** The secret the front sends with every request to the app server (lib/client-address.ts). */
  frontSecret: string | undefined;
  nodeEnv: string;
};

export class EnvError extends Error {}

/** Parse an environment (process.env by default). Throws EnvError with one line per bad variable. */
export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  // Empty strings mean "not set": docker -e FOO= and shell exports do that.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.join(".")} ${i.message}`);
    throw new EnvError(`Invalid configuration: ${lines.join("; ")}`);
  }
  const e = result.data;
  const tls = e.MOIETY_TLS ?? (e.MOIETY_DOMAIN ? "acme" : "off");
  const origin = e.MOIETY_ORIGIN ?? (e.MOIETY_DOMAIN ? `https://${e.MOIETY_DOMAIN}` : `http://localhost:${e.PORT}`);
  const originHost = new URL(origin).hostname;
  const problems: string[] = [];
  if (e.MOIETY_DOMAIN && originHost !== e.MOIETY_DOMAIN) {
    problems.push(`MOIETY_ORIGIN must use the host of MOIETY_DOMAIN (${e.MOIETY_DOMAIN}), not ${originHost}`);
  }
  let domainName = e.MOIETY_DOMAIN;
  if (tls === "acme") {
    if (!origin.startsWith("https://")) {
      problems.push("MOIETY_ORIGIN must start with https:// when MOIETY_TLS is acme");
    } else if (!domainName) {
      const parsed = domain.safeParse(originHost);
      if (parsed.success) domainName = parsed.data;
      else problems.push("MOIETY_TLS=acme needs MOIETY_DOMAIN (the domain name to get a certificate for)");
    }
    if (e.MOIETY_HTTP_PORT === e.MOIETY_HTTPS_PORT) problems.push("MOIETY_HTTP_PORT and MOIETY_HTTPS_PORT must differ");
  }
  if (problems.length > 0) throw new EnvError(`Invalid configuration: ${problems.join("; ")}`);
  return {
    dataDir: path.resolve(e.MOIETY_DATA_DIR),
    origin,
    host: e.HOST,
    port: e.PORT,
    domain: domainName,
    tls,
    httpPort: e.MOIETY_HTTP_PORT,
    httpsPort: e.MOIETY_HTTPS_PORT,
    acmeDirectory: e.MOIETY_ACME_DIRECTORY,
    allowPrivateAddresses: e.MOIETY_ALLOW_PRIVATE_ADDRESSES,
    trustProxy: e.MOIETY_TRUST_PROXY,
    authSecret: e.NEXTAUTH_SECRET,
    frontSecret: e.MOIETY_FRONT_SECRET,
    nodeEnv: e.NODE_ENV,
  };
}

let cached: Env | undefined;

/** The process environment, parsed once. */
export function env(): Env {
  cached ??= parseEnv();
  return cached;
}

export function databasePath(e: Env = env()): string {
  return path.join(e.dataDir, "moiety.db");
}

export function databaseUrl(e: Env = env()): string {
  return "file:" + databasePath(e);
}

export function mediaDir(e: Env = env()): string {
  return path.join(e.dataDir, "media");
}

/** Where the ACME account key and the certificate live. */
export function tlsDir(e: Env = env()): string {
  return path.join(e.dataDir, "tls");
}

/**
 * What the web app in the serve process reads from process.env: everything we
 * were given, plus the values derived here (absolute data dir, next-auth's URL).
 */
export function appProcessEnv(extra: Record<string, string>): Record<string, string> {
  const e = env();
  return {
    MOIETY_DATA_DIR: e.dataDir,
    MOIETY_ORIGIN: e.origin,
    NEXTAUTH_URL: e.origin,
    NEXT_TELEMETRY_DISABLED: "1",
    CHECKPOINT_DISABLE: "1",
    NODE_ENV: "production",
    ...extra,
  };
}
