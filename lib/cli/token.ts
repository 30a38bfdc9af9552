import { parseArgs } from "node:util";
import { parseScopes } from "../api/scopes";
import { createPersonalToken, listTokens, OAuthError, revokeToken } from "../domain/oauth";
import { CliError } from "./errors";
import { printJson } from "./output";

// moiety token create/list/revoke: API tokens for scripts and apps without an OAuth flow. The
// token is printed once; only its sha256 is kept.

const USAGE = `Usage: moiety token create --name N --scopes "read write follow push" [--json]
       moiety token list [--json]
       moiety token revoke ID`;

async function create(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { name: { type: "string" }, scopes: { type: "string" }, json: { type: "boolean" } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length || !values.name || !values.scopes) throw new CliError(USAGE);
  try {
    const token = await createPersonalToken(values.name, parseScopes(values.scopes));
    const scopes = token.scope.split(" ");
    if (values.json) return printJson({ id: token.id, token: token.access_token, scopes });
    console.log(token.access_token);
    console.error(`Token ${token.id} (${scopes.join(" ")}) created. It is shown only this once; send it as "Authorization: Bearer <token>".`);
  } catch (err) {
    if (err instanceof OAuthError) throw new CliError(err.message);
    throw err;
  }
}

async function list(argv: string[]) {
  const { values, positionals } = parseArgs({ args: argv, options: { json: { type: "boolean" } }, allowPositionals: true, strict: true });
  if (positionals.length) throw new CliError(USAGE);
  const tokens = await listTokens();
  if (values.json) return printJson(tokens);
  if (!tokens.length) return console.log("No API tokens.");
  for (const t of tokens) {
    const used = t.lastUsedAt ? `last used ${t.lastUsedAt.toISOString()}` : "never used";
    console.log(`${t.id}\t${t.app ? `app ${t.app.name}` : t.name}\t${t.scopes.join(" ")}\tcreated ${t.createdAt.toISOString()}\t${used}`);
  }
}

async function revoke(argv: string[]) {
  const { positionals } = parseArgs({ args: argv, options: {}, allowPositionals: true, strict: true });
  const id = Number(positionals[0]);
  if (positionals.length !== 1 || !Number.isSafeInteger(id) || id < 1) throw new CliError("Usage: moiety token revoke ID (the number from moiety token list)");
  if (!(await revokeToken(id))) throw new CliError(`There is no live token with id ${id}. See moiety token list.`);
  console.log(`Token ${id} revoked; apps using it are refused from now on.`);
}

export async function tokenCommand(argv: string[]) {
  const [sub, ...rest] = argv;
  if (sub === "create") return create(rest);
  if (sub === "list") return list(rest);
  if (sub === "revoke") return revoke(rest);
  throw new CliError(USAGE);
}
