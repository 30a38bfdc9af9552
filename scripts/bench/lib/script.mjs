// What every benchmark script does when run on its own rather than from
// run.mjs: options from the command line, figures printed as BENCH lines and
// a markdown table, temporary data dirs removed (unless --keep).

import { removeTempDirs } from "./moiety.mjs";
import { markdownTable, parseArgs, printFigure } from "./report.mjs";

/** Run `fn(options)` if `moduleUrl` is the script node was started with. */
export async function runAsScript(moduleUrl, fn, defaults) {
  if (moduleUrl !== `file://${process.argv[1]}`) return;
  const figures = await fn(parseArgs(process.argv.slice(2), defaults));
  for (const f of figures) printFigure(f);
  console.log(markdownTable(figures));
  if (!process.argv.includes("--keep")) removeTempDirs();
}
