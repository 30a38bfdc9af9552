import { parseArgs } from "node:util";
import { env } from "../env";
import { buildReport, formatReport, plural } from "../federation/self-check";
import { gatherFacts } from "../federation/self-check-facts";
import { CliError } from "./errors";
import { printJson } from "./output";

/** The origin to check, from --origin: a web address, said in plain words when it is not one. */
export function originArgument(value: string): string {
  const example = "Give the address other servers use, like --origin https://social.example";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`"${value}" is not a web address. ${example}.`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new CliError(`"${value}" is not an http(s) address. ${example}.`);
  return url.origin;
}

/** moiety doctor [--json] [--origin URL] */
export async function doctorCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { json: { type: "boolean" }, origin: { type: "string" } }, strict: true });
  const origin = values.origin ? originArgument(values.origin) : env().origin;
  const report = buildReport(await gatherFacts(origin));
  if (values.json) printJson(report);
  else console.log(formatReport(report));
  try {
    const { db } = await import("../db");
    await db().$disconnect();
  } catch {
    // nothing to close
  }
  if (!report.ok) {
    const n = report.checks.filter((c) => c.status === "problem").length;
    throw new CliError(`${plural(n, "problem")} found; see the fixes above.`);
  }
}
