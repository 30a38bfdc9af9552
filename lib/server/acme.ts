import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import acme from "acme-client";
import { DAY, certificateVerdict, renewalTime, retryDelay, servable, type CertificateFacts } from "./tls-policy";

// Gets and renews the HTTPS certificate with ACME HTTP-01 (acme-client), and
// keeps it in MOIETY_DATA_DIR/tls:
//   account.key   the ACME account's private key (created once)
//   cert.key      the certificate's private key
//   cert.pem      the certificate chain (leaf first)
// The files on disk are the truth: every check reads them again, so a
// certificate put there by hand is picked up by the next check (SIGHUP).

export type CertificatePair = { key: string; cert: string };

export type CertificateManagerOptions = {
  domain: string;
  directoryUrl: string;
  dir: string;
  /** Called with each certificate to serve: at start when a usable one is on disk, and after every renewal. */
  onCertificate: (pair: CertificatePair) => void;
  log?: (line: string) => void;
  now?: () => Date;
};

const ACCOUNT_KEY = "account.key";
const CERT_KEY = "cert.key";
const CERT_CHAIN = "cert.pem";

/** Validity and names of the first certificate of a PEM chain; null when the text is not one. */
export function readCertificateFacts(chainPem: string): CertificateFacts | null {
  try {
    const x = new crypto.X509Certificate(chainPem);
    const names = (x.subjectAltName ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s.startsWith("DNS:"))
      .map((s) => s.slice(4));
    const cn = /(?:^|\n)CN=([^\n]+)/.exec(x.subject)?.[1];
    if (names.length === 0 && cn) names.push(cn);
    return { notBefore: new Date(x.validFrom), notAfter: new Date(x.validTo), names };
  } catch {
    return null;
  }
}

function writeAtomic(file: string, content: string | Buffer, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content, { mode });
  fs.renameSync(tmp, file);
}

function describeError(err: unknown): string {
  const e = err as { message?: string; response?: { data?: { detail?: string } } };
  const text = e?.response?.data?.detail ?? e?.message ?? String(err);
  return text.replace(/\s+/g, " ").trim();
}

export class CertificateManager {
  /** token → key authorization, answered on the plain-HTTP port while a challenge is open. */
  private readonly challenges = new Map<string, string>();
  private running: Promise<void> | null = null;
  private dailyTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;
  private served: string | undefined;

  constructor(private readonly o: CertificateManagerOptions) {}

  private log(line: string): void {
    (this.o.log ?? console.log)(`HTTPS: ${line}`);
  }

  private now(): Date {
    return this.o.now?.() ?? new Date();
  }

  /** The key authorization for an open HTTP-01 challenge token. */
  challengeResponse(token: string): string | undefined {
    return this.challenges.get(token);
  }

  /** Serve what is on disk if usable, check now, and again every day. */
  start(): void {
    fs.mkdirSync(this.o.dir, { recursive: true, mode: 0o700 });
    const onDisk = this.readFromDisk();
    if (onDisk && onDisk !== "unreadable" && servable(onDisk.facts, this.o.domain, this.now())) this.serve(onDisk.pair);
    void this.check();
    this.dailyTimer = setInterval(() => void this.check(), DAY);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.dailyTimer);
    clearTimeout(this.retryTimer);
  }

  /** Check the certificate on disk and get a new one when it is missing, for another name, or due. */
  check(): Promise<void> {
    this.running ??= this.checkOnce().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async checkOnce(): Promise<void> {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    const onDisk = this.readFromDisk();
    const verdict = certificateVerdict(onDisk === "unreadable" ? "unreadable" : (onDisk?.facts ?? null), this.o.domain, this.now());
    if (verdict.action === "keep") {
      if (onDisk && onDisk !== "unreadable") this.serve(onDisk.pair);
      this.failures = 0;
      return;
    }
    const why = {
      missing: "no certificate yet",
      unreadable: "the stored certificate cannot be used",
      "other-name": `the stored certificate is not for ${this.o.domain}`,
      expired: "the stored certificate has expired",
      due: "two thirds of the certificate's lifetime have passed",
    }[verdict.reason];
    this.log(`getting a certificate for ${this.o.domain} from ${this.o.directoryUrl} (${why})…`);
    try {
      const pair = await this.obtain();
      const facts = readCertificateFacts(pair.cert);
      writeAtomic(path.join(this.o.dir, CERT_KEY), pair.key, 0o600);
      writeAtomic(path.join(this.o.dir, CERT_CHAIN), pair.cert, 0o644);
      this.failures = 0;
      this.serve(pair);
      this.log(
        `certificate for ${this.o.domain} installed` +
          (facts ? `, valid until ${facts.notAfter.toISOString()}; renewal from ${renewalTime(facts.notBefore, facts.notAfter).toISOString()}` : ""),
      );
    } catch (err) {
      this.failures += 1;
      const wait = retryDelay(this.failures);
      const hint =
        this.stage === "challenge"
          ? `Check that the DNS name ${this.o.domain} points at this machine and that port 80 is reachable from the internet ` +
            `(the certificate authority connects to http://${this.o.domain}/.well-known/acme-challenge/…).`
          : `Check that this machine can reach ${this.o.directoryUrl} (internet connection, MOIETY_ACME_DIRECTORY).`;
      this.log(
        `could not get a certificate for ${this.o.domain}: ${describeError(err)}. ${hint} ` +
          `Trying again in ${Math.round(wait / 60_000)} minutes (or now: docker kill -s HUP <container>).`,
      );
      if (!this.stopped) this.retryTimer = setTimeout(() => void this.check(), wait);
    }
  }

  private serve(pair: CertificatePair): void {
    if (this.served === pair.cert) return;
    this.served = pair.cert;
    this.o.onCertificate(pair);
  }

  private readFromDisk(): { pair: CertificatePair; facts: CertificateFacts } | null | "unreadable" {
    let key: string;
    let cert: string;
    try {
      key = fs.readFileSync(path.join(this.o.dir, CERT_KEY), "utf8");
      cert = fs.readFileSync(path.join(this.o.dir, CERT_CHAIN), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      return "unreadable";
    }
    const facts = readCertificateFacts(cert);
    if (!facts) return "unreadable";
    try {
      // A crash between writing the two files could leave a key that does not fit.
      if (!new crypto.X509Certificate(cert).checkPrivateKey(crypto.createPrivateKey(key))) return "unreadable";
    } catch {
      return "unreadable";
    }
    return { pair: { key, cert }, facts };
  }

  private async accountKey(): Promise<Buffer> {
    const file = path.join(this.o.dir, ACCOUNT_KEY);
    try {
      return fs.readFileSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    const key = await acme.crypto.createPrivateEcdsaKey();
    try {
      fs.writeFileSync(file, key, { mode: 0o600, flag: "wx" });
      return key;
    } catch (err) {
      // Someone else created it in between: use theirs.
      if ((err as NodeJS.ErrnoException).code === "EEXIST") return fs.readFileSync(file);
      throw err;
    }
  }

  /** The step that failed tells whom to blame: the connection to the CA, or the CA's check of us. */
  private stage: "account" | "challenge" = "account";

  /** Fail early and clearly when the CA is unreachable (acme-client then reports only a TypeError). */
  private async reachDirectory(): Promise<void> {
    try {
      const res = await fetch(this.o.directoryUrl, { signal: AbortSignal.timeout(15_000) });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
    } catch (err) {
      const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
      const why = e.name === "TimeoutError" ? "no answer within 15 s" : (e.cause?.code ?? e.cause?.message ?? e.message);
      throw new Error(`the certificate authority at ${this.o.directoryUrl} cannot be reached (${why})`);
    }
  }

  private async obtain(): Promise<CertificatePair> {
    this.stage = "account";
    await this.reachDirectory();
    const client = new acme.Client({
      directoryUrl: this.o.directoryUrl,
      accountKey: await this.accountKey(),
      // Poll a pending validation after 1, 2, 4 … (at most 30) seconds: about 4 minutes in all.
      backoffMin: 1000,
      backoffMax: 30_000,
      backoffAttempts: 12,
    });
    // Find the account of this key first: asking to create an existing one makes acme-client
    // send an "empty update", which some servers refuse.
    try {
      await client.createAccount({ onlyReturnExisting: true });
    } catch {
      // Setting MOIETY_DOMAIN is the operator's request for a certificate; the CA's terms apply.
      await client.createAccount({ termsOfServiceAgreed: true });
    }
    const [key, csr] = await acme.crypto.createCsr(
      { commonName: this.o.domain, altNames: [this.o.domain] },
      await acme.crypto.createPrivateEcdsaKey(),
    );
    const cert = await client.auto({
      csr,
      termsOfServiceAgreed: true,
      challengePriority: ["http-01"],
      // acme-client's own pre-check fetches the challenge URL from inside; behind NAT
      // without hairpinning that fails although the CA could reach us. Ask the CA only.
      skipChallengeVerification: true,
      challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
        this.stage = "challenge";
        this.challenges.set(challenge.token, keyAuthorization);
      },
      challengeRemoveFn: async (_authz, challenge) => {
        this.challenges.delete(challenge.token);
      },
    });
    return { key: key.toString(), cert };
  }
}
