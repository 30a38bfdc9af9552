import { describe, expect, it } from "vitest";
import { buildCreate, buildDelete, buildNull, buildUpdate, htmlToText, MAX_IMAGE_BYTES, newNoteId, readAppData, textToHtml } from "@/lib/e2ee/app-data";

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
    expect(readAppData(buildCreate({ actor: ALICE, noteId, text: "hi", inReplyTo: reply }))).toEqual({ kind: "create", noteId, html: "<p>hi</p>", inReplyTo: reply, actor: ALICE, images: [], summary: null });
    // A content warning travels as the Note's summary and is read back as one line of text, markup dropped.
    expect(readAppData(buildCreate({ actor: ALICE, noteId, text: "the end", summary: "Film ending" }))).toMatchObject({ kind: "create", summary: "Film ending" });
    const marked = new TextEncoder().encode(
      JSON.stringify({ type: "Create", actor: ALICE, object: { type: "Note", id: noteId, content: "<p>x</p>", summary: "<b>Spoilers</b>\n ahead<script>1</script>" } }),
    );
    expect(readAppData(marked)).toMatchObject({ kind: "create", summary: "Spoilers ahead" });
    expect(readAppData(buildUpdate({ actor: ALICE, noteId, text: "hey" }))).toEqual({ kind: "update", noteId, html: "<p>hey</p>", actor: ALICE });
    expect(readAppData(buildDelete({ actor: ALICE, noteId }))).toEqual({ kind: "delete", noteId, actor: ALICE });
    expect(readAppData(buildNull(ALICE))).toEqual({ kind: "null" });
  });

  it("pictures travel inside the Note as the draft's base64 Image objects; ones we would not show are left out", () => {
    const noteId = newNoteId();
    const png = { mediaType: "image/png", content: Buffer.from([0x89, 0x50, 0x4e, 0x47]).toString("base64"), alt: "a square" };
    const built = readAppData(buildCreate({ actor: ALICE, noteId, text: "", images: [png] }));
    expect(built).toEqual({ kind: "create", noteId, html: "", inReplyTo: null, actor: ALICE, images: [png], summary: null });
    const note = (attachment: unknown) => bytes({ type: "Create", object: { type: "Note", id: noteId, content: "<p>x</p>", attachment } });
    const image = (over: Record<string, unknown>) => ({ type: "Image", mediaType: "image/png", content: png.content, name: "alt", ...over });
    const images = (attachment: unknown) => {
      const read = readAppData(note(attachment));
      return read.kind === "create" ? read.images : read;
    };
    expect(images(image({}))).toEqual([{ mediaType: "image/png", content: png.content, alt: "alt" }]);
    expect(images([image({ mediaType: "image/svg+xml" }), image({ type: "Link" }), image({ content: "not base64!" }), image({ encoding: "hex" })])).toEqual([]);
    expect(images([image({ content: "AAA-" })])).toEqual([]); // URL-safe base64 is not the canonical form
    expect(images(Array.from({ length: 6 }, () => image({})))).toHaveLength(4);
    const huge = Buffer.alloc(MAX_IMAGE_BYTES * 2).toString("base64");
    expect(images([image({ content: huge })])).toEqual([]);
    // A Note with neither text nor a picture we show is unreadable, not an empty bubble.
    expect(readAppData(bytes({ type: "Create", object: { type: "Note", id: noteId, attachment: [image({ mediaType: "text/html" })] } }))).toEqual({
      kind: "unreadable",
      reason: "The Note has no text content.",
    });
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
