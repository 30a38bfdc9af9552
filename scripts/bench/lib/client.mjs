// A minimal HTTP client with a cookie jar, and the next-auth credentials
// login the login form performs (GET /api/auth/csrf, POST the callback).

import http from "node:http";

export class Client {
  constructor(base) {
    this.base = base;
    this.cookies = new Map();
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  }

  request(method, pathname, { headers = {}, body } = {}) {
    const url = new URL(pathname, this.base);
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    return new Promise((resolve, reject) => {
      const t0 = performance.now();
      let ttfb = 0;
      const req = http.request(
        { host: url.hostname, port: url.port, path: url.pathname + url.search, method, agent: this.agent, headers: { ...(cookie ? { cookie } : {}), ...headers } },
        (res) => {
          ttfb = performance.now() - t0;
          for (const c of res.headers["set-cookie"] ?? []) {
            const [pair] = c.split(";");
            const i = pair.indexOf("=");
            const name = pair.slice(0, i);
            const value = pair.slice(i + 1);
            if (value === "" || /max-age=0/i.test(c)) this.cookies.delete(name);
            else this.cookies.set(name, value);
          }
          const chunks = [];
          res.on("data", (d) => chunks.push(d));
          res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8"), ttfb, ms: performance.now() - t0 }));
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }

  get(pathname, headers) {
    return this.request("GET", pathname, { headers });
  }

  async login(username, password) {
    const csrf = JSON.parse((await this.get("/api/auth/csrf")).body).csrfToken;
    const body = new URLSearchParams({ csrfToken: csrf, username, password, json: "true" }).toString();
    const res = await this.request("POST", "/api/auth/callback/credentials", {
      headers: { "content-type": "application/x-www-form-urlencoded", "x-auth-return-redirect": "1" },
      body,
    });
    const url = JSON.parse(res.body).url;
    if (res.status !== 200 || new URL(url).searchParams.get("error")) throw new Error(`login failed: ${res.status} ${res.body}`);
  }

  close() {
    this.agent.destroy();
  }
}
