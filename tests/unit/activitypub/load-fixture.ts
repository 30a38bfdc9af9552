import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

// A fresh copy per call, so a test that edits a fixture cannot affect another.
// Tests poke into nested fixture properties freely, hence the loose type.
export type Fixture = Record<string, any>;

export function loadFixture(name: string): Fixture {
  const file = fileURLToPath(new URL(`../../fixtures/activitypub/${name}`, import.meta.url));
  return JSON.parse(readFileSync(file, "utf8")) as Fixture;
}
