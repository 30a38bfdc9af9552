import fs from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import path from "node:path";

// Next's request handler, inside the serve process. It listens on a private
// loopback port, as Next's standalone server did in a process of its own: the
// front keeps forwarding there (with its secret, checked in proxy.ts), and the
// streaming API and Server-Sent Events go through unchanged. Next itself
// (~100 MB, about a second of loading) is loaded by the first request that
// reaches this port; that request waits for it, none is refused. Until then
// the front answers what it can itself (/api/health, lib/server/health.ts).

type Handle = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;
type NextApp = { prepare(): Promise<void>; getRequestHandler(): Handle; close(): Promise<void> };
type CreateNext = (options: { dev: boolean; dir: string; conf: object; hostname: string; port: number; quiet: boolean }) => NextApp;

export type AppServer = {
  port: number;
  /** Whether Next has been asked to load (the first request that reached this port). */
  loaded: () => boolean;
  close: () => void;
  closeAllConnections: () => void;
};

/**
 * Load the standalone build the way its own server.js does: its config (the
 * one `next build` wrote to required-server-files.json), its own copy of next
 * from the traced node_modules, its directory as the working directory.
 */
async function loadNext(standaloneDir: string, port: number): Promise<Handle> {
  const started = performance.now();
  console.log("Loading the web app…");
  const { config } = JSON.parse(fs.readFileSync(path.join(standaloneDir, ".next", "required-server-files.json"), "utf8")) as { config: object };
  process.env.__NEXT_PRIVATE_STANDALONE_CONFIG = JSON.stringify(config);
  // Next and the app read files relative to it (lib/api/instance.ts reads package.json).
  process.chdir(standaloneDir);
  const next = createRequire(path.join(standaloneDir, "server.js"))("next") as CreateNext;
  const app = next({ dev: false, dir: standaloneDir, conf: config, hostname: "127.0.0.1", port, quiet: true });
  await app.prepare();
  console.log(`Web app loaded in ${Math.round(performance.now() - started)} ms.`);
  return app.getRequestHandler();
}

/** Listen on 127.0.0.1:`port` at once; Next loads with the first request. */
export function startAppServer(o: { standaloneServer: string; port: number }): Promise<AppServer> {
  const dir = path.dirname(o.standaloneServer);
  let handle: Promise<Handle> | undefined;
  const server = http.createServer((req, res) => {
    handle ??= loadNext(dir, o.port);
    handle.then(
      (h) => h(req, res),
      (err) => {
        console.error("The web app could not be loaded:", err);
        // The next request tries again: a file being replaced under us need not be fatal.
        handle = undefined;
        req.resume();
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json; charset=utf-8" });
        res.end(JSON.stringify({ error: "The web app could not be loaded; see the server's log." }));
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve({
        port: o.port,
        loaded: () => handle !== undefined,
        close: () => server.close(),
        closeAllConnections: () => server.closeAllConnections(),
      });
    });
  });
}
