import { throttleBucket } from "../client-address";

// How many connections (or, behind a trusted proxy, requests) one client may
// hold open at once. An IPv6 client usually gets a whole /64 from its
// provider, so counting per full address would let it open 2^64 times as many;
// it is counted per /64, an IPv4 client per address — the same groups as the
// login throttle's (lib/client-address.ts).

/** The group a client address is counted in: the IPv4 address, or its IPv6 /64. */
export function addressGroup(address: string): string {
  return throttleBucket(address) || "unknown";
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
