import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { env } from "./env";

// The next-auth signing secret: NEXTAUTH_SECRET when given, else a random one
// generated into the data dir on first start and kept there.

const FILE = "auth-secret";

export function ensureAuthSecret(dataDir = env().dataDir): string {
  const given = env().authSecret;
  if (given) return given;
  const file = path.join(dataDir, FILE);
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(48).toString("base64url");
  try {
    // wx: if two processes race, one wins and the other reads its value.
    fs.writeFileSync(file, secret + "\n", { mode: 0o600, flag: "wx" });
    return secret;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return fs.readFileSync(file, "utf8").trim();
    throw err;
  }
}

let cached: string | undefined;
export function authSecret(): string {
  cached ??= ensureAuthSecret();
  return cached;
}
