// What the inbox benchmarks share: the peer and the target, pre-signed DMs,
// the warm-up (first contact with every actor: key and actor fetches), and
// a measurement window over the server's process tree and this client.

import { startPeer } from "./peer.mjs";
import { cpuMsByThread, cpuMsOfPids, selfCpuMs, threadCpuDelta, treePids, treeSampler } from "./proctree.mjs";
import { presignAll } from "./sign.mjs";
import { openTarget, waitForStored } from "./target.mjs";

/** Start the peer and open the target. */
export async function setUp(o, log) {
  const peer = await startPeer({ actors: o.actors });
  let target;
  try {
    target = await openTarget(o, log);
  } catch (e) {
    await peer.close();
    throw e;
  }
  log(`peer ${peer.origin} with ${o.actors} actors → ${target.inboxUrl}`);
  return { peer, target, close: async () => Promise.all([target.close(), peer.close()]) };
}

/** `n` DMs round-robin over the peer's actors, numbered from `label`+0, signed on worker threads. */
export async function presignDms(peer, target, n, label, log) {
  const t0 = performance.now();
  const jobs = Array.from({ length: n }, (_, i) => ({ actor: i % peer.actors.length, url: target.inboxUrl, recipient: target.recipient, n: `${label}${i}` }));
  const requests = await presignAll(jobs, peer.actors);
  log?.(`pre-signed ${n} DMs in ${Math.round(performance.now() - t0)} ms`);
  return { requests, objectIds: jobs.map((j) => `${peer.actors[j.actor].id}/statuses/${j.n}`) };
}

/** One DM per actor, so that keys and actor documents are fetched before anything is measured. */
export async function warmUp(peer, target, send, log) {
  const { requests } = await presignDms(peer, target, peer.actors.length, "w");
  const before = (await target.stored?.count()) ?? 0;
  const results = await send(requests, { concurrency: 8 });
  const ok = results.filter((r) => r.status === 202).length;
  if (target.stored) await waitForStored(target.stored, before + ok, { idleMs: 60_000 });
  log(`warm-up: ${ok}/${requests.length} accepted${target.stored ? " and stored" : ""}`);
  if (ok === 0) throw new Error(`warm-up: nothing accepted (${JSON.stringify(results.map((r) => r.status).slice(0, 5))})`);
}

/**
 * Start measuring the server's tree (CPU, RSS peak) and this process's CPU.
 * stop() → { serverCpuMs (null without a pid), clientCpuMs, wallMs, rssPeak, processes, threads (CPU ms by thread name) }.
 */
export function measureWindow(rootPid) {
  const t0 = performance.now();
  const client0 = selfCpuMs();
  const pids0 = rootPid ? treePids(rootPid) : [];
  const server0 = cpuMsOfPids(pids0);
  const threads0 = cpuMsByThread(pids0);
  const sampler = rootPid ? treeSampler(rootPid) : null;
  return {
    stop() {
      const wallMs = performance.now() - t0;
      const clientCpuMs = selfCpuMs() - client0;
      const mem = sampler?.stop() ?? { peak: 0, processes: 0 };
      // Processes that started during the window count from zero; those that ended were reaped into their parent's times.
      const pids = rootPid ? treePids(rootPid) : [];
      const serverCpuMs = rootPid ? cpuMsOfPids(pids) - server0 : null;
      const threads = threadCpuDelta(threads0, cpuMsByThread(pids));
      return { serverCpuMs, clientCpuMs, wallMs, rssPeak: mem.peak, processes: mem.processes, threads };
    },
  };
}
