import { createECDH, createPublicKey, randomBytes, verify, type ECDH } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";

// A Web Push service on loopback, as a phone's or a browser's push service
// would be: each device has a P-256 key pair and a 16-byte auth secret made
// with node:crypto (what a browser's PushManager makes), and an endpoint URL.
// Every POST is checked as a push service checks it — the VAPID JWT (RFC 8292)
// must verify against the server's public key, for this service's origin, not
// expired — and then decrypted as the device would, with http_ece (RFC 8291
// aes128gcm, or the legacy aesgcm draft with Encryption/Crypto-Key headers).
// Answers are 201 unless a device was told to answer otherwise.

type Ece = { decrypt(buffer: Buffer, params: Record<string, unknown>): Buffer };
const ece = createRequire(import.meta.url)("http_ece") as Ece;

export type Push = {
  at: number;
  /** What this service answered. */
  status: number;
  encoding: string;
  headers: http.IncomingHttpHeaders;
  jwt: { aud: string; exp: number; sub: string };
  payload: Record<string, any>;
};

export type Device = {
  name: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  /** Answers to give, in order, before going back to 201; status 0 answers nothing (the request hangs). */
  answers: { status: number; headers?: Record<string, string> }[];
  pushes: Push[];
};

export type PushService = {
  url: string;
  device: (name: string) => Device;
  /** Requests that failed a check (bad JWT, undecryptable body, unknown endpoint): must stay empty. */
  problems: string[];
  close: () => Promise<void>;
};

function jwtOf(headers: http.IncomingHttpHeaders, encoding: string): { token: string; key: string } {
  const authorization = String(headers.authorization ?? "");
  if (encoding === "aes128gcm") {
    const m = /^vapid t=([A-Za-z0-9_.-]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization);
    if (!m) throw new Error(`aes128gcm wants "Authorization: vapid t=…, k=…", got ${authorization}`);
    return { token: m[1], key: m[2] };
  }
  // The aesgcm draft: "Authorization: WebPush <jwt>" with the key in Crypto-Key's p256ecdsa.
  const m = /^WebPush ([A-Za-z0-9_.-]+)$/.exec(authorization);
  const key = /(?:^|[;,]\s*)p256ecdsa=([A-Za-z0-9_-]+)/.exec(String(headers["crypto-key"] ?? ""));
  if (!m || !key) throw new Error(`aesgcm wants "Authorization: WebPush <jwt>" and Crypto-Key p256ecdsa=, got ${authorization} / ${headers["crypto-key"]}`);
  return { token: m[1], key: key[1] };
}

/** RFC 8292 §2: an ES256 JWT for this origin, unexpired (≤ 24 h), signed by the server's key. */
function checkJwt(token: string, key: string, serverKey: () => string, origin: string): Push["jwt"] {
  if (key !== serverKey()) throw new Error(`the VAPID key ${key} is not the server's ${serverKey()}`);
  const [h, p, s] = token.split(".");
  const header = JSON.parse(Buffer.from(h, "base64url").toString());
  if (header.alg !== "ES256") throw new Error(`JWT alg ${header.alg}`);
  const raw = Buffer.from(key, "base64url");
  if (raw.length !== 65 || raw[0] !== 4) throw new Error("the VAPID key is not an uncompressed P-256 point");
  const publicKey = createPublicKey({ key: { kty: "EC", crv: "P-256", x: raw.subarray(1, 33).toString("base64url"), y: raw.subarray(33).toString("base64url") }, format: "jwk" });
  const ok = verify("sha256", Buffer.from(`${h}.${p}`), { key: publicKey, dsaEncoding: "ieee-p1363" }, Buffer.from(s, "base64url"));
  if (!ok) throw new Error("the VAPID JWT signature does not verify");
  const claims = JSON.parse(Buffer.from(p, "base64url").toString());
  const now = Date.now() / 1000;
  if (claims.aud !== origin) throw new Error(`JWT aud ${claims.aud}, want ${origin}`);
  if (!(claims.exp > now && claims.exp <= now + 24 * 3600 + 60)) throw new Error(`JWT exp ${claims.exp} out of range`);
  if (!/^(mailto:|https:)/.test(claims.sub)) throw new Error(`JWT sub ${claims.sub}`);
  return claims;
}

function decrypt(body: Buffer, headers: http.IncomingHttpHeaders, encoding: string, ecdh: ECDH, auth: string): Buffer {
  if (encoding === "aes128gcm") return ece.decrypt(body, { version: "aes128gcm", privateKey: ecdh, authSecret: auth });
  if (encoding !== "aesgcm") throw new Error(`unknown Content-Encoding ${encoding}`);
  const salt = /(?:^|;)\s*salt=([A-Za-z0-9_-]+)/.exec(String(headers.encryption ?? ""));
  const dh = /(?:^|[;,])\s*dh=([A-Za-z0-9_-]+)/.exec(String(headers["crypto-key"] ?? ""));
  if (!salt || !dh) throw new Error(`aesgcm without Encryption salt or Crypto-Key dh: ${headers.encryption} / ${headers["crypto-key"]}`);
  return ece.decrypt(body, { version: "aesgcm", privateKey: ecdh, dh: dh[1], salt: salt[1], authSecret: auth });
}

/** Start the service; `serverKey` gives the instance's VAPID public key (base64url) to check against. */
export async function startPushService(serverKey: () => string): Promise<PushService> {
  const devices = new Map<string, Device & { ecdh: ECDH }>();
  const problems: string[] = [];
  let origin = "";
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const device = devices.get(req.url ?? "");
      try {
        if (!device) throw new Error(`POST to an unknown endpoint ${req.url}`);
        if (req.method !== "POST") throw new Error(`${req.method} instead of POST`);
        const encoding = String(req.headers["content-encoding"] ?? "");
        const { token, key } = jwtOf(req.headers, encoding);
        const jwt = checkJwt(token, key, serverKey, origin);
        const payload = JSON.parse(decrypt(Buffer.concat(chunks), req.headers, encoding, device.ecdh, device.auth).toString("utf8"));
        const answer = device.answers.shift() ?? { status: 201 };
        device.pushes.push({ at: Date.now(), status: answer.status, encoding, headers: req.headers, jwt, payload });
        if (answer.status === 0) return; // a service that hangs: no answer at all
        res.writeHead(answer.status, { ...(answer.status === 201 ? { location: `${origin}/message/${randomBytes(6).toString("hex")}` } : {}), ...answer.headers });
        res.end();
      } catch (err) {
        problems.push(`${req.url}: ${(err as Error).message}`);
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    problems,
    device(name) {
      const ecdh = createECDH("prime256v1");
      ecdh.generateKeys();
      const d = {
        name,
        endpoint: `${origin}/push/${name}`,
        p256dh: ecdh.getPublicKey().toString("base64url"),
        auth: randomBytes(16).toString("base64url"),
        answers: [],
        pushes: [],
        ecdh,
      };
      devices.set(`/push/${name}`, d);
      return d;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
