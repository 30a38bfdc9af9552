import type { NextAuthOptions, Session } from "next-auth";
import { cache } from "react";
import { getServerSession } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { clientAddressFrom } from "./client-address";
import { env } from "./env";
import { checkCredentials, getOwner, type Owner } from "./domain/owner";
import { throttledPasswordCheck } from "./domain/login-throttle";
import { createSession, endSession, sessionIsOpen, SESSION_MAX_AGE_S } from "./domain/sessions";
import { authSecret } from "./secret";

// next-auth 4 with one Credentials provider and JWT sessions. The token carries the id of a
// Session row (lib/domain/sessions.ts) — logging out or ending it in Settings deletes the row,
// and the cookie opens nothing after that — and the owner's session version, which a password
// change bumps.

declare module "next-auth" {
  interface Session {
    sv?: number;
    sid?: string;
  }
  interface User {
    sv?: number;
    sid?: string;
  }
}
declare module "next-auth/jwt" {
  interface JWT {
    sv?: number;
    sid?: string;
  }
}

export const LOGIN_FAILED = "Wrong username or password.";

export function authOptions(): NextAuthOptions {
  return {
    secret: authSecret(),
    session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_S },
    pages: { signIn: "/login", error: "/login" },
    // __Secure- cookie names and the Secure flag whenever the public origin is https.
    useSecureCookies: env().origin.startsWith("https:"),
    providers: [
      CredentialsProvider({
        name: "Password",
        credentials: { username: { type: "text" }, password: { type: "password" } },
        async authorize(credentials, req) {
          const requestHeaders = req?.headers as Record<string, string> | undefined;
          const address = clientAddressFrom(requestHeaders);
          const result = await throttledPasswordCheck(address, () =>
            checkCredentials(credentials?.username ?? "", credentials?.password ?? ""),
          );
          if (!result.ok) throw new Error("refused" in result ? result.refused : LOGIN_FAILED);
          const owner = result.value;
          const sid = await createSession({ userAgent: String(requestHeaders?.["user-agent"] ?? ""), address });
          return { id: String(owner.id), name: owner.username, sv: owner.sessionVersion, sid };
        },
      }),
    ],
    callbacks: {
      jwt({ token, user }) {
        if (user) {
          token.sv = user.sv;
          token.sid = user.sid;
        }
        return token;
      },
      session({ session, token }) {
        session.sv = token.sv;
        session.sid = token.sid;
        session.user = { name: token.name };
        return session;
      },
    },
    events: {
      // "Log out" (POST /api/auth/signout) ends the session on the server, not only the cookie.
      async signOut({ token }) {
        if (token?.sid) await endSession(token.sid);
      },
    },
  };
}

async function sessionMatches(session: Session | null, owner: Owner): Promise<boolean> {
  if (!session || session.sv !== owner.sessionVersion || session.user?.name !== owner.username) return false;
  return sessionIsOpen(session.sid);
}

/** The owner when the request carries a valid session, else null (for route handlers). */
export async function currentOwner(): Promise<Owner | null> {
  const owner = await getOwner();
  if (!owner) return null;
  const session = await getServerSession(authOptions());
  return (await sessionMatches(session, owner)) ? owner : null;
}

/** The id of the session this request carries, to mark "this browser" in Settings. */
export async function currentSessionId(): Promise<string | undefined> {
  return (await getServerSession(authOptions()))?.sid;
}

/**
 * Every owner page and server action calls this itself. Without an owner the
 * instance is not set up yet (→ /setup); without a valid session → /login.
 */
export function requireOwner(): Promise<Owner> {
  return checkOwner();
}

// Once per request: the layout, the page and its metadata each ask, and
// decoding the session and reading the owner cost a few milliseconds each
// time. React's cache() is scoped to one server render; in a server action it
// does not memoise, so every action still checks for itself.
const checkOwner = cache(async (): Promise<Owner> => {
  const owner = await getOwner();
  if (!owner) redirect("/setup");
  const session = await getServerSession(authOptions());
  if (!(await sessionMatches(session, owner))) redirect("/login");
  return owner;
});

/** The calling client's address (as the front server saw it), for throttling. */
export async function requestClientAddress(): Promise<string> {
  return clientAddressFrom(await headers());
}
