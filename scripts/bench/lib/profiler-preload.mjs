// Preloaded into the server processes (NODE_OPTIONS=--import …) when a
// benchmark profiles: the same V8 sampling profiler as `node --cpu-prof`
// (which Node 20 refuses in NODE_OPTIONS), driven through node:inspector.
// Profiling starts at once; every SIGUSR2 writes what was recorded since the
// last one to MOIETY_BENCH_PROFILE_DIR/<role>-<pid>-<n>.cpuprofile and starts
// afresh, so a benchmark can cut out exactly its load window.

import fs from "node:fs";
import path from "node:path";
import { Session } from "node:inspector";

const dir = process.env.MOIETY_BENCH_PROFILE_DIR;
if (dir) {
  const role = process.argv[1]?.endsWith("server.js") ? "next" : "front";
  const session = new Session();
  session.connect();
  const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
  let part = 0;
  const start = async () => {
    await post("Profiler.enable");
    await post("Profiler.setSamplingInterval", { interval: Number(process.env.MOIETY_BENCH_PROFILE_INTERVAL_US ?? 500) });
    await post("Profiler.start");
  };
  await start();
  process.on("SIGUSR2", async () => {
    const { profile } = await post("Profiler.stop");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${role}-${process.pid}-${++part}.cpuprofile`), JSON.stringify(profile));
    await start();
  });
}
