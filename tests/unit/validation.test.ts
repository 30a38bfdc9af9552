import { describe, expect, it } from "vitest";
import { accountSchema, changePasswordSchema, fieldErrors, usernameSchema } from "@/lib/domain/validation";

const good = { username: "alice_2", displayName: "Alice", password: "correct horse battery", confirmPassword: "correct horse battery" };

describe("username", () => {
  it.each(["a", "alice", "alice_2", "x".repeat(30)])("accepts %s", (u) => {
    expect(usernameSchema.safeParse(u).success).toBe(true);
  });
  it.each([
    ["", "Enter a username."],
    ["Alice", "Use only lowercase letters a–z, digits and _."],
    ["al ice", "Use only lowercase letters a–z, digits and _."],
    ["alice.b", "Use only lowercase letters a–z, digits and _."],
    ["ålice", "Use only lowercase letters a–z, digits and _."],
    ["x".repeat(31), "A username has at most 30 characters."],
    ["admin", "This name is reserved; pick another one."],
    ["inbox", "This name is reserved; pick another one."],
  ])("refuses %j", (u, message) => {
    const r = usernameSchema.safeParse(u);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].message).toBe(message);
  });
});

describe("account", () => {
  it("accepts a good account and trims the names", () => {
    const r = accountSchema.parse({ ...good, username: " alice ", displayName: "  Alice  " });
    expect(r.username).toBe("alice");
    expect(r.displayName).toBe("Alice");
  });
  it("needs 12 characters and a matching confirmation", () => {
    const r = accountSchema.safeParse({ ...good, password: "short", confirmPassword: "other" });
    expect(r.success).toBe(false);
    expect(fieldErrors(r.error!)).toEqual({
      password: "Use at least 12 characters.",
      confirmPassword: "The passwords do not match.",
    });
    const mismatch = accountSchema.safeParse({ ...good, confirmPassword: "correct horse battery!" });
    expect(fieldErrors(mismatch.error!)).toEqual({ confirmPassword: "The passwords do not match." });
  });
  it("reports every bad field at once", () => {
    const r = accountSchema.safeParse({ username: "", displayName: "", password: "", confirmPassword: "" });
    expect(Object.keys(fieldErrors(r.error!)).sort()).toEqual(["displayName", "password", "username"]);
  });
  it("refuses control characters in the display name", () => {
    const r = accountSchema.safeParse({ ...good, displayName: "Al\u0007ice" });
    expect(fieldErrors(r.error!).displayName).toMatch(/control characters/);
  });
});

describe("change password", () => {
  it("refuses the same password again", () => {
    const r = changePasswordSchema.safeParse({ currentPassword: good.password, newPassword: good.password, confirmPassword: good.password });
    expect(fieldErrors(r.error!).newPassword).toMatch(/same as the current/);
  });
});
