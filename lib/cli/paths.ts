import path from "node:path";
import { fileURLToPath } from "node:url";

/** The project root (where package.json and .next live), from this file's place. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const STANDALONE_SERVER = path.join(PROJECT_ROOT, ".next", "standalone", "server.js");
