// Pure: why another server could not be reached, in words for the owner. Node and undici
// report a failed connection as an error code somewhere down a chain of causes
// ("fetch failed" ← "getaddrinfo ENOTFOUND x"); none of that text is shown to a person.

/** The first system error code (ENOTFOUND, ECONNREFUSED, CERT_HAS_EXPIRED …) in an error's causes. */
export function networkErrorCode(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0) {
    const e = queue.shift();
    if (!e || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    const { code, name, cause, errors } = e as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === "string" && code) return code;
    if (name === "TimeoutError" || name === "AbortError") return "TIMEOUT";
    queue.push(cause, ...(Array.isArray(errors) ? errors : []));
  }
  return undefined;
}

/** One sentence saying why `host` could not be reached, with what to do when there is something to do. */
export function describeUnreachable(err: unknown, host: string): string {
  const code = networkErrorCode(err) ?? "";
  if (code === "ENOTFOUND" || code === "EAI_NONAME" || code === "EAI_NODATA") return `No server answers at ${host} — check the address for typos.`;
  if (code === "EAI_AGAIN") return `This server could not look up ${host} right now (DNS did not answer). Try again in a moment.`;
  if (code === "ECONNREFUSED") return `${host} refused the connection: its server may be down. Try again later.`;
  if (code === "ECONNRESET" || code === "EPIPE" || code === "UND_ERR_SOCKET") return `${host} closed the connection before answering. Try again later.`;
  if (code === "TIMEOUT" || code === "ETIMEDOUT" || code === "UND_ERR_CONNECT_TIMEOUT" || code === "UND_ERR_HEADERS_TIMEOUT") {
    return `${host} did not answer in time. Try again later.`;
  }
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return `${host} cannot be reached from this server (no route to it).`;
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code)) {
    return `${host} has an HTTPS certificate that is not valid, so Moiety will not talk to it.`;
  }
  return `Could not reach ${host}. Try again later.`;
}
