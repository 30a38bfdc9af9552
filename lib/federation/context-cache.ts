import type { RemoteDocument } from "@fedify/fedify";
import { FetchBudgetExceeded } from "./fetch-budget";

// Remote JSON-LD @context documents, kept in memory. A context is named by
// the sender (Pleroma and Akkoma name their own litepub context on every
// activity); fetching it again for every activity would let a sender make us
// fetch at will. Bounded in entries and bytes; a failed fetch is remembered
// briefly too, and concurrent loads of one URL share one fetch.

const MAX_ENTRIES = 64;
const MAX_TOTAL_BYTES = 4 * 1024 * 1024;
const KEEP_MS = 6 * 60 * 60_000;
const KEEP_FAILURE_MS = 60_000;

type Entry = { doc: RemoteDocument | null; error: unknown; bytes: number; until: number };

export class ContextCache {
  readonly #entries = new Map<string, Entry>(); // insertion order = least recently used first
  readonly #loading = new Map<string, Promise<RemoteDocument>>();
  #bytes = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async get(url: string, load: (url: string) => Promise<RemoteDocument>): Promise<RemoteDocument> {
    const hit = this.#entries.get(url);
    if (hit && hit.until > this.now()) {
      this.#entries.delete(url);
      this.#entries.set(url, hit);
      if (hit.doc) return hit.doc;
      throw hit.error;
    }
    if (hit) this.#remove(url);
    const pending = this.#loading.get(url);
    if (pending) return pending;
    const loading = load(url).then(
      (doc) => {
        this.#put(url, { doc, error: null, bytes: JSON.stringify(doc.document)?.length ?? 0, until: this.now() + KEEP_MS });
        return doc;
      },
      (error: unknown) => {
        // Out of time before or while asking says nothing about the context itself.
        if (!(error instanceof FetchBudgetExceeded)) this.#put(url, { doc: null, error, bytes: 0, until: this.now() + KEEP_FAILURE_MS });
        throw error;
      },
    );
    this.#loading.set(url, loading);
    try {
      return await loading;
    } finally {
      this.#loading.delete(url);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  #put(url: string, entry: Entry): void {
    this.#remove(url);
    if (entry.bytes > MAX_TOTAL_BYTES) return;
    this.#entries.set(url, entry);
    this.#bytes += entry.bytes;
    for (const [oldest] of this.#entries) {
      if (this.#entries.size <= MAX_ENTRIES && this.#bytes <= MAX_TOTAL_BYTES) break;
      this.#remove(oldest);
    }
  }

  #remove(url: string): void {
    const entry = this.#entries.get(url);
    if (!entry) return;
    this.#bytes -= entry.bytes;
    this.#entries.delete(url);
  }
}
