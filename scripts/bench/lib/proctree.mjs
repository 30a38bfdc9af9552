// A server measured as its whole process tree: the root pid and every
// descendant, found by scanning /proc for parent links each time (children
// come and go, and a child started from another thread is missing from the
// root's own /proc/PID/task/PID/children). No assumption about what the
// children are: `moiety serve` as one process or as front + Next, or another
// server altogether.

import fs from "node:fs";

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** Fields of /proc/PID/stat after the command name: [state, ppid, …]; null when gone. */
function statFields(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** The root and all its descendants (root first). */
export function treePids(root) {
  const byParent = new Map();
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(name);
    if (!f) continue;
    const ppid = Number(f[1]);
    if (!byParent.has(ppid)) byParent.set(ppid, []);
    byParent.get(ppid).push(Number(name));
  }
  if (!statFields(root)) return [];
  const pids = [root];
  for (let i = 0; i < pids.length; i++) pids.push(...(byParent.get(pids[i]) ?? []));
  return pids;
}

/**
 * CPU time (user + system, ms) of these processes, including the children
 * they have already reaped (cutime + cstime): a worker process that exits
 * mid-run still counts, through its parent.
 */
export function cpuMsOfPids(pids) {
  let ticks = 0;
  for (const pid of pids) {
    const f = statFields(pid);
    if (f) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  }
  return ticks * TICK_MS;
}

/** Sum of VmRSS (bytes) of these processes. */
export function rssOfPids(pids) {
  let total = 0;
  for (const pid of pids) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
      if (m) total += Number(m[1]) * 1024;
    } catch {
      // exited
    }
  }
  return total;
}

export const treeCpuMs = (root) => cpuMsOfPids(treePids(root));
export const treeRss = (root) => rssOfPids(treePids(root));

/** This process's CPU time (all its threads), ms. */
export function selfCpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Send `signal` to every process of the tree at once (leaves first, so none is restarted by its parent). */
export function killTree(root, signal = "SIGKILL") {
  const pids = treePids(root);
  for (const pid of pids.reverse()) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
  return pids;
}

/**
 * Sample the tree's RSS every `everyMs` (re-walking it each time) until stop():
 * { peak (bytes, of the sum), processes (most seen at once), samples }.
 */
export function treeSampler(root, everyMs = 100) {
  let peak = 0;
  let processes = 0;
  let samples = 0;
  const sample = () => {
    const pids = treePids(root);
    if (pids.length === 0) return;
    samples++;
    processes = Math.max(processes, pids.length);
    peak = Math.max(peak, rssOfPids(pids));
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { peak, processes, samples };
    },
  };
}

/** Is this process alive (and not a zombie)? */
export function alive(pid) {
  const f = statFields(pid);
  return f !== null && f[0] !== "Z";
}
