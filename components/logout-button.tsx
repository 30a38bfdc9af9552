"use client";

import { signOut } from "next-auth/react";
import { useState } from "react";
import { Button } from "./button";

/** Log out: a quiet link-like button in the header, or a full button with its own label (Settings). */
export function LogoutButton({ label = "Log out", variant = "header" }: { label?: string; variant?: "header" | "secondary" }) {
  const [busy, setBusy] = useState(false);
  const logOut = async () => {
    setBusy(true);
    await signOut({ callbackUrl: "/login" });
  };
  if (variant === "secondary") {
    return (
      <Button type="button" variant="secondary" busy={busy} onClick={logOut}>
        {label}
      </Button>
    );
  }
  return (
    <button
      type="button"
      disabled={busy}
      onClick={logOut}
      className="min-h-11 rounded-md px-2 text-sm whitespace-nowrap sm:px-3 font-medium text-stone-700 hover:bg-stone-100 dark:text-stone-300 dark:hover:bg-stone-800"
    >
      {label}
    </button>
  );
}
