import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  conversationPath,
  EXPORT_CSP,
  renderConversation,
  renderIndex,
  type ExportConversation,
  type ExportData,
  type ExportMessage,
} from "@/lib/domain/export-html";

// The static HTML archive of an export: readable, and inert whatever the
// messages, names and attachments held.

const HOSTILE = [
  "<script>alert(1)</script>",
  '<img src=x onerror="alert(1)">',
  '"><script>alert(2)</script>',
  "<svg/onload=alert(3)>",
  '<a href="javascript:alert(4)">click</a>',
  "<iframe src=//evil.example></iframe>",
  "</title><script>alert(5)</script>",
  "<style>body{background:url(https://evil.example/track)}</style>",
  '<meta http-equiv="refresh" content="0;url=https://evil.example">',
];

function message(over: Partial<ExportMessage> = {}): ExportMessage {
  return {
    id: "m1",
    direction: "in",
    author: "https://remote.example/users/bob",
    published: "2026-11-27T10:00:00.000Z",
    updated: null,
    deleted: false,
    text: "Hello",
    html: "<p>Hello</p>",
    summary: null,
    sensitive: false,
    attachments: [],
    ...over,
  };
}

function data(conversations: ExportConversation[], ownerName = "Alice"): ExportData {
  return {
    format: "moiety-export",
    version: 1,
    exportedAt: "2026-11-27T12:00:00.000Z",
    owner: { handle: "@alice@social.example", actor: "https://social.example/users/alice", name: ownerName },
    conversations,
  };
}

function conversation(messages: ExportMessage[], name = "Bob"): ExportConversation {
  return {
    id: "mi1abc0123456789abcdef",
    participants: [{ handle: "@bob@remote.example", actor: "https://remote.example/users/bob", name }],
    lastMessageAt: "2026-11-27T10:00:00.000Z",
    isRequest: false,
    archived: false,
    messages,
  };
}

const TAGS = new Set(
  "html head meta title style body header main h1 p a ul li div span strong time article figure figcaption img br del s pre blockquote code b i u em ol ruby rt rp".split(" "),
);

/**
 * Nothing in the page can run, load or redirect. Every "<" of the data is
 * escaped, so each "<" left starts a real tag: those are checked one by one.
 */
function expectInert(html: string) {
  expect(html).not.toMatch(/<script/i);
  const head = html.slice(0, html.indexOf("<title>"));
  expect(head).toContain(`<meta http-equiv="Content-Security-Policy" content="${EXPORT_CSP}">`);
  const body = html.slice(html.indexOf("<body>") + 6, html.lastIndexOf("</body>"));
  for (const [tag, name, attrs] of body.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)([^>]*)>/g)) {
    expect(TAGS.has(name.toLowerCase()), tag).toBe(true);
    expect(["meta", "style", "title", "head", "html"].includes(name.toLowerCase()), tag).toBe(false);
    expect(attrs, tag).not.toMatch(/\son[a-z]+\s*=|javascript:|style\s*=/i);
    if (name === "img") expect(attrs, tag).toMatch(/^ src="\.\.\/media\/[a-z]+-[0-9a-f]{24}\.png"/);
  }
}

describe("export HTML", () => {
  it("renders the index and a conversation with names, times, edits, deletes and attachments", () => {
    const msgs = [
      message({ html: '<p>Hi <a href="https://example.com/" rel="nofollow noopener noreferrer" target="_blank">example</a></p>', text: "Hi example" }),
      message({
        id: "m2",
        direction: "out",
        author: "https://social.example/users/alice",
        text: "Look",
        html: "<p>Look</p>",
        updated: "2026-11-27T10:05:00.000Z",
        attachments: [{ url: "https://social.example/media/att-0123456789abcdef01234567.png", mediaType: "image/png", alt: "A cat", file: "media/att-0123456789abcdef01234567.png" }],
      }),
      message({ id: "m3", deleted: true, text: "", html: "" }),
      message({ id: "m4", text: "pic", attachments: [{ url: "https://remote.example/files/1.jpg", mediaType: "image/jpeg", alt: null, file: null }] }),
    ];
    const d = data([conversation(msgs)]);
    const index = renderIndex(d);
    expect(index).toContain(`<a href="conversations/mi1abc0123456789abcdef.html">Bob (@bob@remote.example)</a>`);
    expect(index).toContain("4 messages");
    expect(index).toContain("Direct messages of Alice (@alice@social.example)");

    const page = renderConversation(d, d.conversations[0]);
    expect(page).toContain('<a href="https://example.com/" rel="nofollow noopener noreferrer" target="_blank">example</a>');
    expect(page).toContain("<strong>You</strong>");
    expect(page).toContain("edited <time");
    expect(page).toContain("This message was deleted.");
    // Our own image is in the export; a remote one stays a link, so opening the archive contacts nobody.
    expect(page).toContain('<img src="../media/att-0123456789abcdef01234567.png" alt="A cat">');
    expect(page).toContain('<a href="https://remote.example/files/1.jpg" rel="nofollow noopener noreferrer">(no description)</a>');
    expect(page).not.toContain('src="https://remote.example');
    expect(page).toContain('<a href="../index.html">');
    expectInert(index);
    expectInert(page);
  });

  it("keeps hostile names, text, HTML and attachments inert", () => {
    const msgs = HOSTILE.map((h, i) =>
      message({
        id: `m${i}"><script>`,
        text: h,
        html: h,
        summary: h,
        attachments: [
          { url: "javascript:alert(1)", mediaType: h, alt: h, file: null },
          { url: "https://remote.example/x.png", mediaType: "image/png", alt: h, file: null },
        ],
      }),
    );
    for (const h of HOSTILE) {
      const d = data([{ ...conversation(msgs, h), participants: [{ handle: h, actor: "https://remote.example/users/bob", name: h }] }], h);
      expectInert(renderIndex(d));
      expectInert(renderConversation(d, d.conversations[0]));
    }
  });

  it("stays inert for any text anywhere (property)", () => {
    const text = fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom(...HOSTILE), fc.array(fc.constantFrom(...HOSTILE, "<", ">", '"', "'", "&", "x"), { maxLength: 12 }).map((a) => a.join("")));
    fc.assert(
      fc.property(text, text, text, text, (name, body, html, alt) => {
        const m = message({ text: body, html, summary: alt || null, attachments: [{ url: alt, mediaType: null, alt, file: null }] });
        const d = data([conversation([m], name)], name);
        expectInert(renderIndex(d));
        expectInert(renderConversation(d, d.conversations[0]));
      }),
      { numRuns: 300 },
    );
  });

  it("names conversation pages safely", () => {
    expect(conversationPath("mi1abc0123456789abcdef")).toBe("conversations/mi1abc0123456789abcdef.html");
    expect(conversationPath("../../etc/passwd")).toMatch(/^conversations\/x[0-9a-f]+\.html$/);
    expect(conversationPath("")).toBe("conversations/x.html");
  });
});
