import net from "node:net";

// How many connections (or, behind a trusted proxy, requests) one client may
// hold open at once. An IPv6 client usually gets a whole /64 from its
// provider, so counting per full address would let it open 2^64 times as many;
// it is counted per /64, an IPv4 client per address.

/** The group a client address is counted in: the IPv4 address, or its IPv6 /64. */
export function addressGroup(address: string): string {
  const bare = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped) return mapped[1];
  if (net.isIPv4(bare)) return bare;
  if (!net.isIPv6(bare)) return bare || "unknown";
  return `${ipv6Groups(bare).slice(0, 4).join(":")}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, as lowercase hex without leading zeros. */
function ipv6Groups(address: string): string[] {
  let text = address.toLowerCase();
  // An embedded IPv4 tail (::ffff:1.2.3.4 was handled; 64:ff9b::1.2.3.4 is not) becomes two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = text.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const left = head ? head.split(":") : [];
  const right = tail === undefined ? [] : tail ? tail.split(":") : [];
  const zeros = tail === undefined ? [] : new Array(8 - left.length - right.length).fill("0");
  return [...left, ...zeros, ...right].map((g) => parseInt(g, 16).toString(16));
}

/** Counts what each address group holds open, refusing beyond `max`. */
export class AddressLimit {
  private readonly open = new Map<string, number>();
  constructor(readonly max: number) {}

  /** Count one more for `group`, unless it already holds `max`. */
  enter(group: string): boolean {
    const n = this.open.get(group) ?? 0;
    if (n >= this.max) return false;
    this.open.set(group, n + 1);
    return true;
  }

  leave(group: string): void {
    const n = (this.open.get(group) ?? 0) - 1;
    if (n > 0) this.open.set(group, n);
    else this.open.delete(group);
  }

  held(group: string): number {
    return this.open.get(group) ?? 0;
  }
}
