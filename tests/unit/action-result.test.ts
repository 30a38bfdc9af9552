import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { fail, failFields, formErrors, ok } from "@/lib/action-result";

// Every server action answers one shape (lib/action-result.ts), and every one
// that acts for the owner checks the session first, itself.

const ROOT = path.resolve(__dirname, "../..");

function serverActionFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) serverActionFiles(full, out);
    else if (/\.tsx?$/.test(name) && /^\s*["']use server["'];/.test(readFileSync(full, "utf8"))) out.push(full);
  }
  return out;
}

describe("action results", () => {
  it("give forms the same messages as before: per field, or one above the form", () => {
    expect(ok()).toStrictEqual({ ok: true });
    expect(ok("c1")).toEqual({ ok: true, value: "c1" });
    expect(formErrors(fail("Invalid value."))).toEqual({ form: "Invalid value." });
    const fields = { displayName: "Too long.", bio: "Too long too." };
    expect(failFields(fields)).toEqual({ ok: false, error: "Too long.", fields });
    expect(formErrors(failFields(fields))).toEqual(fields);
    expect(failFields({ code: "Wrong code.", form: "Closed." }).error).toBe("Closed.");
  });

  it("are what every server action answers, and each checks the owner first (setup excepted: no owner exists yet)", { timeout: 60_000 }, () => {
    const files = [...serverActionFiles(path.join(ROOT, "app")), ...serverActionFiles(path.join(ROOT, "components"))];
    expect(files.length).toBeGreaterThanOrEqual(9);
    const unchecked: string[] = [];
    const otherShapes: string[] = [];
    let actions = 0;
    for (const file of files) {
      const relative = path.relative(ROOT, file);
      const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
      for (const statement of source.statements) {
        if (!ts.isFunctionDeclaration(statement) || !statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
        actions++;
        // The aliases named here are ActionResult<…> themselves (app/oauth/authorize/actions.ts, app/(owner)/people/actions.ts).
        if (!/^Promise<(ActionResult|AuthorizeResult|PeopleResult)\b/.test(statement.type?.getText(source) ?? "")) otherShapes.push(`${relative}: ${statement.name?.text}`);
        if (relative === path.join("app", "setup", "actions.ts")) continue;
        const first = statement.body?.statements[0]?.getText(source) ?? "";
        if (!/^(const \w+ = )?await requireOwner\(\);$/.test(first)) unchecked.push(`${relative}: ${statement.name?.text}`);
      }
    }
    expect(actions).toBeGreaterThan(30);
    expect(unchecked).toEqual([]);
    expect(otherShapes).toEqual([]);
  });
});
