import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Brand } from "@/components/brand";
import { currentOwner } from "@/lib/auth";
import { describeScope } from "@/lib/api/scopes";
import { checkAuthorizeRequest, OAuthError, type AuthorizeRequest } from "@/lib/domain/oauth";
import { AuthorizeButtons } from "./authorize-buttons";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Authorize an app" };

const KEYS = ["client_id", "redirect_uri", "response_type", "scope", "state", "code_challenge", "code_challenge_method"] as const;

export default async function AuthorizePage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const query = await searchParams;
  const request: AuthorizeRequest = {};
  for (const key of KEYS) if (typeof query[key] === "string") request[key] = query[key];
  // Not logged in: log in first and come back here (`force_login` and `lang` are ignored).
  if (!(await currentOwner())) {
    const back = new URLSearchParams(request as Record<string, string>).toString();
    redirect(`/login?next=${encodeURIComponent(`/oauth/authorize?${back}`)}`);
  }
  let checked;
  try {
    checked = await checkAuthorizeRequest(request);
  } catch (err) {
    if (!(err instanceof OAuthError)) throw err;
    return (
      <Frame>
        <h1 className="mb-4 text-2xl font-semibold tracking-tight">This app cannot be authorized</h1>
        <p role="alert" className="text-red-700 dark:text-red-400">{err.message}</p>
      </Frame>
    );
  }
  const { app, scopes } = checked;
  return (
    <Frame>
      <h1 className="mb-4 text-2xl font-semibold tracking-tight">{`Authorize ${app.name}?`}</h1>
      <p className="mb-2">
        <strong>{app.name}</strong>
        {app.website && <> ({app.website})</>} asks to use your Moiety account. It will be able to:
      </p>
      <ul className="mb-6 list-disc space-y-1 pl-6" aria-label="What the app may do">
        {scopes.map((s) => (
          <li key={s}>
            {describeScope(s)} <span className="text-sm text-stone-500">({s})</span>
          </li>
        ))}
      </ul>
      <AuthorizeButtons request={{ ...request, redirect_uri: checked.redirectUri }} appName={app.name} />
      <p className="mt-6 text-sm text-stone-600 dark:text-stone-400">You can revoke its access at any time in Settings.</p>
    </Frame>
  );
}

function Frame({ children }: { children: React.ReactNode }) {
  return (
    <main className="mx-auto flex min-h-dvh w-full max-w-lg flex-col justify-center px-4 py-10">
      <Brand className="mb-6 text-lg" />
      {children}
    </main>
  );
}
