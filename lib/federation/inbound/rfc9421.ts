import { constants, verify as cryptoVerify, type KeyObject } from "node:crypto";
import { parseDictionary, serializeInnerList, type InnerList } from "structured-headers";
import { contentDigestProblem, digestProblem } from "./body-digest";
import { dateProblem, header, isHttpUrl, timeProblem, type InboundRequest, type SignatureResult } from "./signed-request";

// RFC 9421 HTTP Message Signatures on an inbox POST: `Signature-Input` names
// the covered components and parameters, `Signature` holds the bytes, both
// structured fields (RFC 8941, parsed by the structured-headers package). The
// first signature label that appears in both is the one checked. A POST's
// signature must cover the method, the target (@target-uri, or @authority and
// @path) and, with a body, its digest (content-digest or digest), and carry
// a time: `created`, or a covered Date header.

type Algorithm = "rsa-v1_5-sha256" | "rsa-pss-sha512" | "ecdsa-p256-sha256" | "ed25519";
const ALGORITHMS = new Set<string>(["rsa-v1_5-sha256", "rsa-pss-sha512", "ecdsa-p256-sha256", "ed25519"]);

const fail = (error: string): SignatureResult => ({ ok: false, error });

/** The value of a derived component (RFC 9421 §2.2), or undefined for one not supported here. */
function derived(req: InboundRequest, name: string): string | undefined {
  const q = req.path.indexOf("?");
  const path = q < 0 ? req.path : req.path.slice(0, q);
  const query = q < 0 ? "" : req.path.slice(q + 1);
  switch (name) {
    case "@method":
      return req.method.toUpperCase();
    case "@authority":
      return req.authority.toLowerCase();
    case "@scheme":
      return req.scheme;
    case "@target-uri":
      return `${req.scheme}://${req.authority.toLowerCase()}${req.path}`;
    case "@request-target":
      return req.path;
    case "@path":
      return path;
    case "@query":
      return `?${query}`;
    default:
      return undefined;
  }
}

/** The key types each algorithm takes; without `alg`, the key's type decides. */
function verifierFor(alg: Algorithm | undefined, key: KeyObject): ((base: Buffer, sig: Buffer) => boolean) | null {
  const type = key.asymmetricKeyType;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const algorithm = alg ?? (type === "rsa" ? "rsa-v1_5-sha256" : type === "ed25519" ? "ed25519" : type === "ec" ? "ecdsa-p256-sha256" : undefined);
  switch (algorithm) {
    case "rsa-v1_5-sha256":
      return type === "rsa" ? (b, s) => cryptoVerify("sha256", b, key, s) : null;
    case "rsa-pss-sha512":
      return type === "rsa" || type === "rsa-pss"
        ? // RFC 9421 says a 64-byte salt; signers differ (http-message-signatures uses the longest), and any length is sound.
          (b, s) => cryptoVerify("sha512", b, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, s)
        : null;
    case "ecdsa-p256-sha256":
      return type === "ec" && curve === "prime256v1" ? (b, s) => cryptoVerify("sha256", b, { key, dsaEncoding: "ieee-p1363" }, s) : null;
    case "ed25519":
      return type === "ed25519" ? (b, s) => cryptoVerify(null, b, key, s) : null;
    default:
      return null;
  }
}

export function readRfc9421Signature(req: InboundRequest, now: number): SignatureResult {
  let inputs, signatures;
  try {
    inputs = parseDictionary(header(req, "signature-input")!);
    signatures = parseDictionary(header(req, "signature") ?? "");
  } catch {
    return fail("The Signature-Input or Signature header is not a structured field.");
  }
  let label: string | undefined;
  for (const [name, member] of inputs) {
    if (Array.isArray(member[0]) && signatures.get(name)?.[0] instanceof ArrayBuffer) {
      label = name;
      break;
    }
  }
  if (label === undefined) return fail("The Signature-Input header names no signature that the Signature header gives.");
  const input = inputs.get(label) as InnerList;
  const bytes = Buffer.from(signatures.get(label)![0] as ArrayBuffer);
  const [items, params] = input;

  const keyId = params.get("keyid");
  if (typeof keyId !== "string" || !isHttpUrl(keyId)) return fail("The signature's keyid is not an http(s) URL.");
  const alg = params.get("alg");
  if (alg !== undefined && (typeof alg !== "string" || !ALGORITHMS.has(alg))) {
    return fail(`Signature algorithm ${JSON.stringify(alg)} is not supported (rsa-v1_5-sha256, rsa-pss-sha512, ecdsa-p256-sha256 or ed25519).`);
  }
  const times: Record<string, number | undefined> = {};
  for (const name of ["created", "expires"]) {
    const v = params.get(name);
    if (v !== undefined && !(Number.isInteger(v) && (v as number) >= 0)) return fail(`The signature's ${name} is not a time.`);
    times[name] = v as number | undefined;
  }

  const covered: string[] = [];
  const lines: string[] = [];
  for (const [name, itemParams] of items) {
    if (typeof name !== "string") return fail("The Signature-Input header names a component that is not a string.");
    if (itemParams.size > 0) return fail(`The signature's component parameters on "${name}" are not supported.`);
    if (covered.includes(name)) return fail(`The signature covers "${name}" twice.`);
    const value = name.startsWith("@") ? derived(req, name) : header(req, name)?.trim();
    if (value === undefined) {
      return fail(name.startsWith("@") ? `The signature covers "${name}", which is not supported.` : `The signature covers the ${name} header, which the request does not have.`);
    }
    covered.push(name);
    lines.push(`"${name}": ${value}`);
  }
  if (!covered.includes("@method")) return fail("The signature does not cover @method.");
  if (!covered.includes("@target-uri") && !(covered.includes("@authority") && (covered.includes("@path") || covered.includes("@request-target")))) {
    return fail("The signature does not cover @target-uri (or @authority and @path).");
  }
  if (req.body.length > 0 && !covered.includes("content-digest") && !covered.includes("digest")) {
    return fail("The signature does not cover the body's content-digest.");
  }
  if (times.created === undefined && !covered.includes("date")) return fail("The signature gives no created time and does not cover Date.");
  const dated = timeProblem(times.created, times.expires, now) ?? (covered.includes("date") ? dateProblem(header(req, "date"), now) : null);
  if (dated) return fail(dated);
  for (const [name, check] of [["content-digest", contentDigestProblem], ["digest", digestProblem]] as const) {
    const value = header(req, name);
    const wrong = covered.includes(name) || value !== undefined ? check(value ?? "", req.body) : null;
    if (wrong) return fail(wrong);
  }

  lines.push(`"@signature-params": ${serializeInnerList(input)}`);
  const base = Buffer.from(lines.join("\n"));
  return {
    ok: true,
    signature: {
      standard: "RFC 9421",
      keyId,
      verify: (key) => {
        try {
          const verifier = verifierFor(alg as Algorithm | undefined, key);
          return verifier !== null && verifier(base, bytes);
        } catch {
          return false;
        }
      },
    },
  };
}
