import type { Socket } from "node:net";

// Connections that were answered before their request body arrived (413,
// 503, 408…) are kept open a few seconds to drain what the client is still
// sending, then closed. One sweep for all of them rather than a timer each:
// an oversize flood refuses thousands of requests a second, and a 5-second
// timer per refusal cost ~0.05 ms of CPU each (about a third of a refusal,
// docs/BENCHMARKS.md), while a map entry and a sweep cost next to nothing.

const deadlines = new Map<Socket, number>();
/** Sockets whose "close" already removes them (a kept-alive connection may linger more than once). */
const watched = new WeakSet<Socket>();
let sweeper: NodeJS.Timeout | null = null;
const SWEEP_MS = 500;

function sweep(): void {
  const now = Date.now();
  for (const [socket, deadline] of deadlines) {
    if (deadline > now) continue;
    deadlines.delete(socket);
    socket.destroy();
  }
  if (deadlines.size === 0 && sweeper) {
    clearInterval(sweeper);
    sweeper = null;
  }
}

function forget(this: Socket): void {
  deadlines.delete(this);
}

/** Close `socket` after about `ms` (± half a second) unless it closes first or `release` is called. */
export function lingerThenClose(socket: Socket, ms: number): { release: () => void } {
  if (!watched.has(socket)) {
    watched.add(socket);
    socket.once("close", forget);
  }
  deadlines.set(socket, Date.now() + ms);
  sweeper ??= setInterval(sweep, SWEEP_MS).unref();
  return { release: () => deadlines.delete(socket) };
}
