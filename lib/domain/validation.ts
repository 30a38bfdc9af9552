import { z } from "zod";

// One set of rules for the setup wizard, the settings page and the CLI.

/** Names that would be confusing or impersonate the server itself. */
export const RESERVED_USERNAMES = new Set([
  "admin", "administrator", "root", "system", "moiety", "instance", "actor", "support", "help",
  "abuse", "postmaster", "hostmaster", "webmaster", "security", "info", "mod", "moderator",
  "staff", "owner", "api", "inbox", "outbox", "users", "user", "setup", "login", "logout",
  "settings", "messages", "media", "static", "well_known", "nodeinfo", "null", "undefined",
]);

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 1024;

export const usernameSchema = z
  .string({ message: "Enter a username." })
  .trim()
  .min(1, "Enter a username.")
  .max(30, "A username has at most 30 characters.")
  .regex(/^[a-z0-9_]+$/, "Use only lowercase letters a–z, digits and _.")
  .refine((u) => !RESERVED_USERNAMES.has(u), "This name is reserved; pick another one.");

export const displayNameSchema = z
  .string({ message: "Enter a display name." })
  .trim()
  .min(1, "Enter a display name.")
  .max(100, "A display name has at most 100 characters.")
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "The display name contains control characters.");

export const passwordSchema = z
  .string({ message: "Enter a password." })
  .min(PASSWORD_MIN, `Use at least ${PASSWORD_MIN} characters.`)
  .max(PASSWORD_MAX, `Use at most ${PASSWORD_MAX} characters.`);

export const bioSchema = z
  .string()
  .max(500, "The bio has at most 500 characters.")
  .transform((s) => s.replace(/\r\n/g, "\n").trim());

export const accountSchema = z
  .object({
    username: usernameSchema,
    displayName: displayNameSchema,
    password: passwordSchema,
    confirmPassword: z.string({ message: "Repeat the password." }),
  })
  .refine((a) => a.password === a.confirmPassword, {
    path: ["confirmPassword"],
    message: "The passwords do not match.",
  });

export const setupCodeSchema = z
  .string({ message: "Enter the setup code." })
  .trim()
  .min(1, "Enter the setup code from the server's log.")
  .max(64, "That is not a setup code.");

export const changePasswordSchema = z
  .object({
    currentPassword: z.string().min(1, "Enter your current password."),
    newPassword: passwordSchema,
    confirmPassword: z.string(),
  })
  .refine((a) => a.newPassword === a.confirmPassword, {
    path: ["confirmPassword"],
    message: "The passwords do not match.",
  })
  .refine((a) => a.newPassword !== a.currentPassword, {
    path: ["newPassword"],
    message: "The new password is the same as the current one.",
  });

export type FieldErrors = Record<string, string>;

/** First message per field, keyed by the top-level field name: what forms show inline. */
export function fieldErrors(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const key = String(issue.path[0] ?? "form");
    out[key] ??= issue.message;
  }
  return out;
}

/** A server to block: a host name, optionally with a port (as actors on it are named). */
export const blockedServerSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?=.{1,253}$)([a-z0-9-]+\.)*[a-z0-9-]+(:\d{1,5})?$/, "Type a server name like spam.example.");
