import { describe, expect, it } from "vitest";
import { buildCreate, buildDelete, buildNull, buildUpdate, htmlToText, newNoteId, readAppData, textToHtml } from "@/lib/e2ee/app-data";

const ALICE = "https://a.example/users/alice";
const bytes = (value: unknown) => new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value));

describe("application data", () => {
  it("typed text becomes escaped HTML with paragraphs and line breaks, and comes back as the same text", () => {
    const text = "a < b & \"c\"\nnext line\n\n\nnew <script>x</script> paragraph";
    expect(textToHtml(text)).toBe("<p>a &lt; b &amp; &quot;c&quot;<br>next line</p><p>new &lt;script&gt;x&lt;/script&gt; paragraph</p>");
    expect(htmlToText(textToHtml(text))).toBe("a < b & \"c\"\nnext line\n\nnew <script>x</script> paragraph");
  });

  it("each activity is read back as built", () => {
    const noteId = newNoteId();
    const reply = newNoteId();
    expect(noteId).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(readAppData(buildCreate({ actor: ALICE, noteId, text: "hi", inReplyTo: reply }))).toEqual({ kind: "create", noteId, html: "<p>hi</p>", inReplyTo: reply, actor: ALICE });
    expect(readAppData(buildUpdate({ actor: ALICE, noteId, text: "hey" }))).toEqual({ kind: "update", noteId, html: "<p>hey</p>", actor: ALICE });
    expect(readAppData(buildDelete({ actor: ALICE, noteId }))).toEqual({ kind: "delete", noteId, actor: ALICE });
    expect(readAppData(buildNull(ALICE))).toEqual({ kind: "null" });
  });

  it("anything else is unreadable with a reason, never an exception", () => {
    const cases: [Uint8Array, string][] = [
      [new Uint8Array([0xff, 0xfe]), "The message is not UTF-8 JSON."],
      [bytes("{"), "The message is not UTF-8 JSON."],
      [bytes([1, 2]), "The message is not a JSON object."],
      [bytes({ type: "Like" }), "The message is an activity this version of Moiety does not know (Like)."],
      [bytes({}), "The message is an activity this version of Moiety does not know (no type)."],
      [bytes({ type: "Create", object: "urn:uuid:x" }), "The activity does not carry a Note."],
      [bytes({ type: "Create", object: { type: "Note", id: "https://x.example/1", content: "" } }), "The Note's id is not a urn:uuid."],
      [bytes({ type: "Update", object: { type: "Note", id: newNoteId(), content: 5 } }), "The Note has no text content."],
      [bytes({ type: "Delete", object: "https://x.example/1" }), "The Delete does not name a Note by its urn:uuid."],
    ];
    for (const [input, reason] of cases) expect(readAppData(input)).toEqual({ kind: "unreadable", reason });
  });

  it("received HTML turns into text without a DOM: tags dropped, breaks kept, entities decoded", () => {
    expect(htmlToText('<p>Hi <a href="https://x.example/" onclick="evil()">there</a>,</p><p>line<br/>two &amp; &lt;3 &#x1F600; &#39;q&#39; &nbsp;&bogus;</p>')).toBe(
      "Hi there,\n\nline\ntwo & <3 😀 'q'  &bogus;",
    );
    expect(htmlToText("<script>alert(1)</script><style>p{}</style>ok<!-- note -->")).toBe("ok");
    expect(htmlToText("1 < 2 and <3")).toBe("1 < 2 and <3");
    expect(htmlToText("&#0;&#xD800;&#1114112;")).toBe("&#0;&#xD800;&#1114112;");
    expect(htmlToText("&lt;img src=x onerror=alert(1)&gt;")).toBe("<img src=x onerror=alert(1)>");
  });
});
