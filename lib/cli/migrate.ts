import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { env } from "../env";
import { CliError } from "./errors";
import { PROJECT_ROOT } from "./paths";

/** Apply pending Prisma migrations to the database in the data dir (creating both if needed). */
export async function migrateDatabase(): Promise<void> {
  fs.mkdirSync(env().dataDir, { recursive: true });
  const prismaCli = path.join(PROJECT_ROOT, "node_modules", "prisma", "build", "index.js");
  const output: string[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [prismaCli, "migrate", "deploy"], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, MOIETY_DATA_DIR: env().dataDir, CHECKPOINT_DISABLE: "1", PRISMA_HIDE_UPDATE_MESSAGE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (d) => output.push(String(d)));
    child.stderr.on("data", (d) => output.push(String(d)));
    child.on("error", reject);
    child.on("exit", (c) => resolve(c ?? 1));
  });
  if (code !== 0) {
    const last = output.join("").trim().split("\n").filter(Boolean).slice(-3).join(" ");
    throw new CliError(`Database migration failed: ${last}`);
  }
}
