import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import fs from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { freePort } from "./server";

// A real ACME server for tests: Debian's pebble on loopback, with
//  · its own HTTPS listener certified by a throw-away CA made here with openssl
//    (Debian's package ships no test certificates),
//  · a tiny DNS responder (pebble -dnsserver) that answers one test domain with
//    a chosen loopback address, so HTTP-01 validation reaches the server under test,
//  · PEBBLE_VA_ALWAYS_VALID=0: every challenge is really fetched.
// Used by tests/integration/acme.test.ts and scripts/test-container.mjs.

export type Pebble = {
  /** The ACME directory URL. */
  directory: string;
  /** Folder with ca.pem (trust it to talk to pebble itself) and the files below. */
  dir: string;
  /** PEM of the root pebble issues certificates under (new at every start). */
  root: string;
  /** A file with the machine's NODE_EXTRA_CA_CERTS (if any) plus the test CA: give it to the server under test. */
  extraCaFile: string;
  /** A certificate for `name` from the test CA with chosen dates; returns the key and chain files. */
  issue: (name: string, domain: string, notBefore: Date, notAfter: Date) => { key: string; cert: string };
  stop: () => void;
};

/** The pebble binary; installs Debian's package when missing and running as root. */
function ensurePebble(): string {
  const which = spawnSync("sh", ["-c", "command -v pebble"], { encoding: "utf8" });
  if (which.status === 0) return which.stdout.trim();
  const isRoot = process.getuid?.() === 0;
  const hasApt = spawnSync("sh", ["-c", "command -v apt-get"]).status === 0;
  if (!isRoot || !hasApt) {
    throw new Error("The ACME tests need Debian's pebble ACME test server: run `sudo apt-get install pebble`, then the tests again.");
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => spawnSync("apt-get", ["install", "-y", "--no-install-recommends", "pebble"], { env, encoding: "utf8" });
  let r = install();
  if (r.status !== 0) {
    spawnSync("apt-get", ["update"], { env, stdio: "ignore" });
    r = install();
  }
  if (r.status !== 0) throw new Error(`apt-get install pebble failed: ${r.stderr.trim().split("\n").at(-1)}`);
  return "pebble";
}

const asn1Time = (d: Date) => d.toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z";

function makeCa(dir: string) {
  const sh = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  sh([
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
    "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=Moiety test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  fs.writeFileSync(path.join(dir, "index.txt"), "");
  fs.writeFileSync(path.join(dir, "serial"), "1000\n");
  fs.writeFileSync(
    path.join(dir, "ca.cnf"),
    [
      "[ ca ]", "default_ca = testca", "[ testca ]", `database = ${dir}/index.txt`, `new_certs_dir = ${dir}`,
      `serial = ${dir}/serial`, "default_md = sha256", "policy = anything", "copy_extensions = copy",
      "unique_subject = no", "[ anything ]", "commonName = supplied",
    ].join("\n") + "\n",
  );
  // `openssl ca` (unlike `x509 -req`) can set the start date: old certificates for renewal tests.
  return (name: string, cn: string, san: string, notBefore: Date, notAfter: Date) => {
    sh(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`, "-addext", san]);
    sh(["ca", "-batch", "-notext", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-in", `${name}.csr`, "-out", `${name}.pem`, "-startdate", asn1Time(notBefore), "-enddate", asn1Time(notAfter)]);
    return { key: path.join(dir, `${name}.key`), cert: path.join(dir, `${name}.pem`) };
  };
}

/** Answers A queries for `domain` with `address`; NXDOMAIN for any other name. */
function startDns(domain: string, address: string): Promise<{ port: number; close: () => void }> {
  const sock = dgram.createSocket("udp4");
  const ip = address.split(".").map(Number);
  sock.on("message", (msg, rinfo) => {
    if (msg.length < 17) return;
    let i = 12;
    const labels: string[] = [];
    while (i < msg.length && msg[i] !== 0) {
      labels.push(msg.subarray(i + 1, i + 1 + msg[i]).toString("ascii"));
      i += msg[i] + 1;
    }
    if (i + 5 > msg.length) return;
    const qtype = msg.readUInt16BE(i + 1);
    const known = labels.join(".").toLowerCase() === domain;
    const answers = known && qtype === 1 ? 1 : 0;
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // same id
    // QR + AA, RD copied, RA; rcode 0 (no error) or 3 (no such name)
    header.writeUInt16BE(0x8400 | (msg.readUInt16BE(2) & 0x0100) | 0x0080 | (known ? 0 : 3), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers, 6);
    const question = msg.subarray(12, i + 5);
    const answer = answers ? Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...ip]) : Buffer.alloc(0);
    sock.send(Buffer.concat([header, question, answer]), rinfo.port, rinfo.address);
  });
  return new Promise((resolve) =>
    sock.bind(0, "127.0.0.1", () => resolve({ port: sock.address().port, close: () => sock.close() })),
  );
}

function getText(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca }, (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: HTTP ${res.statusCode}`))));
      })
      .on("error", reject);
  });
}

/**
 * Start pebble. It validates HTTP-01 on `domain`:`httpPort`, with `domain`
 * resolving to `address` (a loopback address where the server under test listens).
 */
export async function startPebble(opts: { domain: string; address?: string; httpPort: number; tlsPort: number }): Promise<Pebble> {
  const bin = ensurePebble();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "moiety-pebble-"));
  const issue = makeCa(dir);
  issue("pebble", "127.0.0.1", "subjectAltName=IP:127.0.0.1,DNS:localhost", new Date(Date.now() - 60_000), new Date(Date.now() + 2 * 86_400_000));
  const dns = await startDns(opts.domain, opts.address ?? "127.0.0.1");
  const [listen, management] = [await freePort(), await freePort()];
  fs.writeFileSync(
    path.join(dir, "pebble.json"),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${listen}`,
        managementListenAddress: `127.0.0.1:${management}`,
        certificate: path.join(dir, "pebble.pem"),
        privateKey: path.join(dir, "pebble.key"),
        httpPort: opts.httpPort,
        tlsPort: opts.tlsPort,
        ocspResponderURL: "",
        externalAccountBindingRequired: false,
      },
    }),
  );
  const child: ChildProcess = spawn(bin, ["-config", "pebble.json", "-dnsserver", `127.0.0.1:${dns.port}`], {
    cwd: dir,
    // No random sleeps, real validation, no spurious badNonce, no reuse of earlier authorizations.
    env: { ...process.env, PEBBLE_VA_NOSLEEP: "1", PEBBLE_VA_ALWAYS_VALID: "0", PEBBLE_WFE_NONCEREJECT: "0", PEBBLE_AUTHZREUSE: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const stop = () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    dns.close();
  };
  const deadline = Date.now() + 15_000;
  while (!out.includes("ACME directory available")) {
    if (child.exitCode !== null || Date.now() > deadline) {
      stop();
      throw new Error(`pebble did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const ca = fs.readFileSync(path.join(dir, "ca.pem"), "utf8");
  const inherited = process.env.NODE_EXTRA_CA_CERTS && fs.existsSync(process.env.NODE_EXTRA_CA_CERTS) ? fs.readFileSync(process.env.NODE_EXTRA_CA_CERTS, "utf8") : "";
  const extraCaFile = path.join(dir, "extra-ca.pem");
  fs.writeFileSync(extraCaFile, inherited + "\n" + ca);
  const root = await getText(`https://127.0.0.1:${management}/roots/0`, ca);
  return {
    directory: `https://127.0.0.1:${listen}/dir`,
    dir,
    root,
    extraCaFile,
    issue: (name, domain, notBefore, notAfter) => issue(name, domain, `subjectAltName=DNS:${domain}`, notBefore, notAfter),
    stop,
  };
}
