// A server measured as its whole process tree: the root pid and every
// descendant, walked afresh each time (children come and go) through every
// thread's /proc/PID/task/TID/children (a child started from a worker thread
// is listed under that thread only). No assumption about what the
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

/** Children of `pid`: from each of its threads' /proc children list (a child may be started from any thread). */
function childrenOf(pid) {
  const out = [];
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    const text = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim();
    if (text) for (const c of text.split(/\s+/)) out.push(Number(c));
  }
  return out;
}

/** The same, by scanning every process's parent link (when the kernel has no children lists). */
function treeByScan(root) {
  const byParent = new Map();
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(name);
    if (!f) continue;
    const ppid = Number(f[1]);
    if (!byParent.has(ppid)) byParent.set(ppid, []);
    byParent.get(ppid).push(Number(name));
  }
  const pids = [root];
  for (let i = 0; i < pids.length; i++) pids.push(...(byParent.get(pids[i]) ?? []));
  return pids;
}

let childLists = fs.existsSync(`/proc/${process.pid}/task/${process.pid}/children`);

/**
 * The root and all its descendants (root first). The threads' children lists
 * are read rather than every process on the machine: sampling a tree ten
 * times a second must cost the client next to nothing.
 */
export function treePids(root) {
  if (!statFields(root)) return [];
  if (!childLists) return treeByScan(root);
  const pids = [root];
  for (let i = 0; i < pids.length; i++) {
    try {
      pids.push(...childrenOf(pids[i]));
    } catch (e) {
      if (e.code === "ENOENT" && i === 0 && statFields(root)) {
        childLists = false; // no such files here
        return treeByScan(root);
      }
      // this one exited meanwhile
    }
  }
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

/**
 * CPU time (ms) of every thread of these processes, by thread: "main" for a
 * process's main thread, otherwise its name and id ("node#1234": Node 20
 * gives V8's compiler and GC helpers and libuv's pool no names of their own).
 * Where a process's time goes, for the benchmarks' logs.
 */
export function cpuMsByThread(pids) {
  const out = {};
  for (const pid of pids) {
    let tids = [];
    try {
      tids = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
        const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        const key = tid === String(pid) ? (pids.length > 1 ? `main#${pid}` : "main") : `${name}#${tid}`;
        out[key] = (out[key] ?? 0) + (Number(f[11]) + Number(f[12])) * TICK_MS;
      } catch {
        // exited
      }
    }
  }
  return out;
}

/** b − a per thread, those that used any CPU, largest first. */
export function threadCpuDelta(a, b) {
  return Object.fromEntries(
    Object.entries(b)
      .map(([k, v]) => [k, v - (a[k] ?? 0)])
      .filter(([, v]) => v > 0)
      .sort((x, y) => y[1] - x[1]),
  );
}

const PAGE = 4096;

/** Sum of the resident set sizes (bytes; what VmRSS says) of these processes. */
export function rssOfPids(pids) {
  let total = 0;
  for (const pid of pids) {
    try {
      // statm is the shortest file that has it: "size resident shared …" in pages.
      total += Number(fs.readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]) * PAGE;
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
 * Sample the tree's RSS every `everyMs` until stop(), re-walking the tree
 * every `walkMs` (a walk reads a file per thread; RSS one per process):
 * { peak (bytes, of the sum), processes (most seen at once), samples }.
 */
export function treeSampler(root, everyMs = 100, walkMs = 1000) {
  let peak = 0;
  let processes = 0;
  let samples = 0;
  let pids = treePids(root);
  let walked = performance.now();
  const sample = (rewalk) => {
    if (rewalk || performance.now() - walked >= walkMs) [pids, walked] = [treePids(root), performance.now()];
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
      sample(true);
      return { peak, processes, samples };
    },
  };
}

/** Is this process alive (and not a zombie)? */
export function alive(pid) {
  const f = statFields(pid);
  return f !== null && f[0] !== "Z";
}
