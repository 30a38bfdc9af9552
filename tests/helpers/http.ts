import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { ROOT } from "./server";

// A small HTTP client for integration tests: node:http (so a test can pick its
// source address, e.g. 127.0.0.2 as "another client"), a cookie jar, and
// helpers for next-auth logins and Next server action calls.

export type Res = { status: number; headers: http.IncomingHttpHeaders; body: string };

export class Client {
  cookies = new Map<string, string>();
  /** Sent with every request (a User-Agent, say); a request's own headers win. */
  headers: Record<string, string> = {};
  constructor(
    readonly base: string,
    readonly localAddress?: string,
  ) {}

  request(method: string, pathname: string, opts: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Res> {
    const url = new URL(pathname, this.base);
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          method,
          localAddress: this.localAddress,
          headers: { ...this.headers, ...(cookie ? { cookie } : {}), ...opts.headers },
        },
        (res) => {
          for (const c of res.headers["set-cookie"] ?? []) {
            const [pair] = c.split(";");
            const i = pair.indexOf("=");
            const name = pair.slice(0, i);
            const value = pair.slice(i + 1);
            if (value === "" || /max-age=0/i.test(c) || /expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(name);
            else this.cookies.set(name, value);
          }
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (d) => (body += d));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on("error", reject);
      if (opts.body !== undefined) req.write(opts.body);
      req.end();
    });
  }

  get(pathname: string, headers?: Record<string, string>) {
    return this.request("GET", pathname, { headers });
  }

  /** next-auth's credentials flow as the login form runs it. */
  async login(username: string, password: string): Promise<{ ok: boolean; error: string | null; res: Res }> {
    const csrf = JSON.parse((await this.get("/api/auth/csrf")).body).csrfToken as string;
    const body = new URLSearchParams({ csrfToken: csrf, username, password, json: "true" }).toString();
    const res = await this.request("POST", "/api/auth/callback/credentials", {
      headers: { "content-type": "application/x-www-form-urlencoded", "x-auth-return-redirect": "1" },
      body,
    });
    const url = JSON.parse(res.body).url as string;
    const error = new URL(url).searchParams.get("error");
    return { ok: res.status === 200 && !error, error, res };
  }

  /** Call a server action the way React does: POST to its page with the action id. */
  async action(page: string, name: string, args: unknown[], origin = this.base): Promise<Res & { result: unknown; redirect: string | null }> {
    const res = await this.request("POST", page, {
      headers: {
        "next-action": actionId(name),
        accept: "text/x-component",
        "content-type": "text/plain;charset=UTF-8",
        origin,
      },
      body: JSON.stringify(args),
    });
    // The flight payload's row 1 holds the action's return value.
    const row = /^1:(\{.*\})$/m.exec(res.body);
    const redirect = (res.headers["x-action-redirect"] as string | undefined)?.split(";")[0] ?? null;
    return { ...res, result: row ? JSON.parse(row[1]) : null, redirect };
  }
}

let manifest: Record<string, { exportedName: string }> | undefined;

/** Server action ids come from the build's manifest; they change with the code. */
export function actionId(exportedName: string): string {
  manifest ??= JSON.parse(fs.readFileSync(path.join(ROOT, ".next", "server", "server-reference-manifest.json"), "utf8")).node;
  const hit = Object.entries(manifest!).find(([, v]) => v.exportedName === exportedName);
  if (!hit) throw new Error(`no server action named ${exportedName} in the build`);
  return hit[0];
}
