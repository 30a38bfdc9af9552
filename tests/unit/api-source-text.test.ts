import { describe, expect, it } from "vitest";
import { htmlToText, textToHtml } from "@/lib/activitypub/html";
import { mentionsAsHandles } from "@/lib/api/source-text";

// GET /statuses/:id/source gives back what the owner typed: the mention links
// textToHtml made read as the handles they came from, so an edit links them again.

describe("mentionsAsHandles", () => {
  const bob = "http://127.0.0.1:4001/users/bob";
  const odd = "https://example.com/users/o'neil?x=1&y=2";
  const handles = new Map([
    [bob, "@bob@127.0.0.1:4001"],
    [odd, "@oneil@example.com"],
  ]);

  it("turns textToHtml's mention links back into the typed text", () => {
    const typed = "@bob@127.0.0.1:4001 hello\n\n@oneil@example.com and https://example.com/x <b>";
    const html = textToHtml(typed, { mentions: new Map([["@bob@127.0.0.1:4001", bob], ["@oneil@example.com", odd]]) });
    expect(htmlToText(html)).toBe("@bob hello\n\n@oneil and https://example.com/x <b>");
    expect(htmlToText(mentionsAsHandles(html, handles))).toBe(typed);
  });

  it("leaves links to people it has no handle for", () => {
    const html = textToHtml("@carol@example.org hi", { mentions: new Map([["@carol@example.org", "https://example.org/users/carol"]]) });
    expect(mentionsAsHandles(html, handles)).toBe(html);
  });
});
