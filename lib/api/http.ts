// Answers of the Mastodon client API: always JSON (masto.js treats any other content type as a
// network failure), with CORS for browser clients such as Elk and Phanpy, and never a cookie.

export const CORS_HEADERS: Record<string, string> = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
  "access-control-allow-headers": "Authorization, Content-Type, Idempotency-Key",
  "access-control-expose-headers": "Link",
  "access-control-max-age": "86400",
};

/** Paths that browser clients on other origins call: the API, the token endpoints and the metadata. */
export function isCorsPath(pathname: string): boolean {
  return (
    pathname.startsWith("/api/v1/") ||
    pathname.startsWith("/api/v2/") ||
    pathname === "/oauth/token" ||
    pathname === "/oauth/revoke" ||
    pathname === "/.well-known/oauth-authorization-server"
  );
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...CORS_HEADERS, ...headers },
  });
}

/** Mastodon's error shape: `{"error": "…"}`. */
export function apiError(status: number, error: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Response {
  return json({ error, ...extra }, status, headers);
}

/** The answer to a CORS preflight. */
export function preflight(): Response {
  return json({}, 200);
}

/** Thrown by helpers (requireToken, parameter checks) and turned into its response by `api()`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

type Handler = (request: Request, context: { params: Promise<Record<string, string | string[]>> }) => Promise<Response> | Response;

/**
 * Wrap a route handler: ApiError becomes its JSON answer, anything else a JSON 500 (the cause is
 * logged without the request, which may carry a token).
 */
export function api(handler: Handler): Handler {
  return async (request, context) => {
    try {
      return await handler(request, context);
    } catch (err) {
      if (err instanceof ApiError) return apiError(err.status, err.message, err.extra, err.headers);
      console.error("API request failed:", err instanceof Error ? err.message : err);
      return apiError(500, "Something went wrong on the server.");
    }
  };
}

