// HEALTHCHECK: GET /api/health on the local listener (no curl in the slim image).
// With built-in HTTPS that is the HTTPS port; the certificate is not checked
// here (it may be a fresh one, or still on its way), only that the app answers.
import http from "node:http";
import https from "node:https";

const e = process.env;
const tls = e.MOIETY_TLS || (e.MOIETY_DOMAIN ? "acme" : "off");
const host = !e.HOST || e.HOST === "0.0.0.0" || e.HOST === "::" ? "127.0.0.1" : e.HOST;
const origin = e.MOIETY_ORIGIN ? new URL(e.MOIETY_ORIGIN) : null;
const servername = e.MOIETY_DOMAIN || origin?.hostname;
const options =
  tls === "acme"
    ? { mod: https, port: Number(e.MOIETY_HTTPS_PORT || 443), extra: { servername, rejectUnauthorized: false } }
    : { mod: http, port: Number(e.PORT || 3000), extra: {} };

const req = options.mod.get(
  { host, port: options.port, path: "/api/health", timeout: 4000, headers: { host: servername || host }, ...options.extra },
  (res) => {
    let body = "";
    res.on("data", (d) => (body += d));
    res.on("end", () => {
      console.log(`${res.statusCode} ${body}`);
      process.exit(res.statusCode === 200 ? 0 : 1);
    });
  },
);
req.on("timeout", () => req.destroy(new Error("timed out")));
req.on("error", (err) => {
  console.log(`unhealthy: ${err.message}`);
  process.exit(1);
});
