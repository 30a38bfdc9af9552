import { AsyncLocalStorage } from "node:async_hooks";

// How long remote fetches may take, for a whole unit of work: one inbox POST
// (the key, the @context documents, Fedify's checks) or one queued activity
// (the objects and actors it names). lib/federation/document-loader.ts asks
// here before each fetch, so a sender whose documents trickle in slowly gets
// one budget per request, not ten seconds per document it names.
//
// The store lives on globalThis: Next loads this module more than once per
// process, and the Federation object (built by one copy) must see the budget
// set by proxy.ts or the queue (which may run in another copy).

export type FetchBudget = {
  /** No fetch of this unit of work may run past this (epoch ms). */
  deadline: number;
  /** Longest any single fetch may take (ms). */
  perFetchMs: number;
};

export class FetchBudgetExceeded extends Error {}

const g = globalThis as unknown as { moietyFetchBudget?: AsyncLocalStorage<FetchBudget> };

function store(): AsyncLocalStorage<FetchBudget> {
  g.moietyFetchBudget ??= new AsyncLocalStorage<FetchBudget>();
  return g.moietyFetchBudget;
}

/** Run `fn` with at most `totalMs` for all its fetches together, `perFetchMs` for each. */
export function withFetchBudget<T>(budget: { totalMs: number; perFetchMs: number }, fn: () => Promise<T>): Promise<T> {
  return store().run({ deadline: Date.now() + budget.totalMs, perFetchMs: budget.perFetchMs }, fn);
}

/**
 * The timeout for the next fetch: `fallbackMs` outside any budget (an owner's
 * lookup, say), else what the budget leaves. Throws once the budget is spent.
 */
export function nextFetchTimeout(fallbackMs: number): number {
  const budget = store().getStore();
  if (!budget) return fallbackMs;
  const left = budget.deadline - Date.now();
  if (left <= 0) throw new FetchBudgetExceeded("The time allowed for fetching remote documents for this request is used up.");
  return Math.min(budget.perFetchMs, left);
}
