import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { htmlToText, sanitizeRemoteHtml } from "@/lib/activitypub/html";
import { simpleHtml } from "@/lib/activitypub/simple-html";
import { loadFixture } from "./load-fixture";

// simpleHtml is only a shortcut: whatever it returns must be byte for byte
// what the sanitize-html path (sanitizeRemoteHtml, then htmlToText) returns.
// Every check here compares against that slow path rather than against
// expected strings, so the tests hold whatever sanitize-html's exact output is.

const runs = (n: number) => Math.max(1, Math.round(n * Number(process.env.MOIETY_FUZZ_FACTOR ?? 1)));

function slowPath(html: string): { html: string; text: string } {
  const sanitized = sanitizeRemoteHtml(html);
  return { html: sanitized, text: htmlToText(sanitized) };
}

/** simpleHtml's answer is null or exactly the slow path's. */
function expectFaithful(html: string): void {
  const fast = simpleHtml(html);
  if (fast !== null) expect(fast, JSON.stringify(html)).toEqual(slowPath(html));
}

/** simpleHtml takes the fast path and is exactly the slow path. */
function expectFast(html: string): void {
  const fast = simpleHtml(html);
  expect(fast, `fast path refused ${JSON.stringify(html)}`).not.toBeNull();
  expect(fast).toEqual(slowPath(html));
}

// Bodies from the shared interop fixtures (/work/shared/fixtures/activitypub), copied here.
const SHARED_FIXTURE_BODIES = [
  '<p><span class="h-card" translate="no"><a href="https://ours.example/@dave" class="u-url mention">@<span>dave</span></a></span> are we still on for Friday?</p>',
  "<p>New bio</p>",
  '<p>hey <span class="h-card"><a href="https://ours.example/@dave" class="u-url mention" rel="nofollow noreferrer noopener" target="_blank">@<span>dave</span></a></span> quick private question</p>',
];
const SHARED_FIXTURE_SLOW_ONLY = ['<p><a href="https://ours.example/@dave" class="u-url mention">@dave@ours.example</a> the <b>secret</b> plan</p>'];

/** Every string body (content, contentMap values, summary) in the repository's own fixtures. */
function repositoryFixtureBodies(): string[] {
  const dir = fileURLToPath(new URL("../../fixtures/activitypub/", import.meta.url));
  const bodies = new Set<string>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === "object") {
      for (const [key, inner] of Object.entries(value)) {
        if ((key === "content" || key === "summary") && typeof inner === "string") bodies.add(inner);
        if (key === "contentMap" && inner !== null && typeof inner === "object") {
          for (const v of Object.values(inner)) if (typeof v === "string") bodies.add(v);
        }
        walk(inner);
      }
    }
  };
  for (const name of readdirSync(dir).filter((f) => f.endsWith(".json"))) walk(loadFixture(name));
  return [...bodies];
}

const MASTODON = '<p><span class="h-card" translate="no"><a href="https://example.com/@bob" class="u-url mention">@<span>bob</span></a></span> hello &amp; welcome<br />second line</p><p>next</p>';

const HAND_WRITTEN = [
  MASTODON,
  // Mastodon: links shortened with invisible/ellipsis spans, hashtags.
  '<p>look <a href="https://news.example/articles/2024/some-long-title" rel="nofollow noopener" translate="no" target="_blank"><span class="invisible">https://</span><span class="ellipsis">news.example/articles/2024/so</span><span class="invisible">me-long-title</span></a></p>',
  '<p><a href="https://m.example/tags/fediverse" class="mention hashtag" rel="tag">#<span>fediverse</span></a> rocks</p>',
  // GoToSocial
  '<p>hey <span class="h-card"><a href="https://ours.example/@dave" class="u-url mention" rel="nofollow noreferrer noopener" target="_blank">@<span>dave</span></a></span> quick question</p><p>second para<br>with a break</p>',
  // Pleroma / Akkoma: no <p>, data attributes, rel="ugc"
  '<span class="h-card"><a class="u-url mention" data-user="9zzz" href="https://ours.example/users/dave" rel="ugc">@<span>dave</span></a></span> lunch?',
  '<span class="h-card"><a class="u-url mention" data-user="9zzz" href="https://ours.example/users/dave" rel="ugc">@<span>dave</span></a></span> line one<br/>line two<br/><br/>line four',
  // Misskey without MFM markup
  '<p><a href="https://ours.example/@dave" class="u-url mention">@dave@ours.example</a> see you<br>soon</p>',
  // snac: plain paragraphs, <br>, bare links
  '<p>hi <a href="https://ours.example/@dave" class="u-url mention">@dave@ours.example</a></p><p>this is <a href="https://snac.example/x?a=1&amp;b=2">a link</a></p>',
  // plain text without tags
  "just text",
  "",
  "   ",
  "tabs\tand\nnewlines\r\nand  spaces  ",
  "a > b and c >= d",
  // entities
  "Tom &amp; Jerry &lt;3 &gt; &quot;quoted&quot; it&#39;s it&apos;s &#65;&#x42;&#x1F600; &#233;",
  "&amp;lt;not a tag&amp;gt; &amp;amp; &amp;quot;",
  '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>',
  // links with hrefs that the transform rejects or rewrites
  '<a href="javascript:alert(1)">x</a>',
  '<a href="JaVaScRiPt:alert(1)" class="mention">x</a>',
  '<a href="java&#x09;script:alert(1)">x</a>',
  '<a href="/relative/path">x</a>',
  '<a href="">x</a>',
  "<a>no href</a>",
  '<a href="  https://spaced.example/  ">x</a>',
  '<a href="HTTPS://UPPER.EXAMPLE/Path">x</a>',
  '<a href="https://xn--bcher-kva.example/ü?q=a b#frag&quot;">x</a>',
  '<a href="mailto:someone@example.com">mail</a>',
  '<a href="mailto:a&quot;b&lt;c@example.com">mail</a>',
  '<a href="ftp://files.example/x">ftp</a>',
  '<a href="data:text/html,x">data</a>',
  // classes: allowed, disallowed, mixed, empty, odd whitespace
  '<span class="h-card foo u-url bar mention">x</span>',
  '<span class="foo bar">x</span>',
  '<span class="">x</span>',
  '<span class="  h-card   p-name ">x</span>',
  '<span class="h-card\u00a0mention">x</span>',
  '<a href="https://e.example/" class="hashtag Mention HASHTAG e-content dt-published h- x-y">x</a>',
  '<a href="https://e.example/" class="mention mention">x</a>',
  // nesting and empty elements
  "<p><span><span><span>deep</span></span></span></p>",
  "<p></p><p><span></span></p><br><br />",
  "<span>a</span> <span>b</span>\n<p> c </p> d <br> e",
  "<p>one</p>\n\n<p>two</p>   <p>   </p><p>three  <br>  </p>",
];

// Shapes the fast path must leave to sanitize-html (here it only has to be null or faithful).
const HOSTILE = [
  "<script>alert(1)</script>",
  "hi dave <script>alert(document.cookie)</script><img src=x onerror=alert(1)> <b>look</b>",
  '<a href="javascript:alert(1)">click</a>',
  "<img src=x onerror=alert(1)>",
  '<p onclick="alert(1)">x</p>',
  '<span onmouseover="alert(1)" class="h-card">x</span>',
  '<a href="https://e.example/" onclick="alert(1)" style="color:red">x</a>',
  "<!-- comment --><p>x</p>",
  "<p>a<!-- <script>alert(1)</script> -->b</p>",
  "<![CDATA[<script>alert(1)</script>]]>",
  "<?xml version='1.0'?><p>x</p>",
  "<a href='https://e.example/'>single quotes</a>",
  "<a href=https://e.example/>unquoted</a>",
  "<span class=h-card>unquoted</span>",
  '<a href="https://e.example/" href="javascript:alert(1)">dup</a>',
  '<span class="h-card" class="mention">dup</span>',
  "<P>upper</P>",
  '<A HREF="https://e.example/">upper</A>',
  "<p\tclass=\"x\">tab</p>",
  "<p\n>newline</p>",
  "<p/>self-closed p",
  "<span/>self-closed span",
  "</p>stray close",
  "<p>unclosed",
  "<p><span>misnested</p></span>",
  "<p>outer<p>inner</p></p>",
  "<span><p>block in inline</p></span>",
  '<a href="https://a.example/"><a href="https://b.example/">nested</a></a>',
  "a < b",
  "a <3 b",
  "<",
  "&",
  "AT&T",
  "&nbsp;&copy;&amp",
  "&#0;&#x0;&#128;&#x9F;&#xD800;&#x110000;&#99999999;&#X41;&#;&#x;",
  "<svg><script>alert(1)</script></svg>",
  "<style>p{}</style>text",
  "<textarea><p>x</p></textarea>",
  "<br/ >",
  "<br  />",
  "<br class=\"x\">",
  "<p>" + "<span>".repeat(70) + "deep" + "</span>".repeat(70) + "</p>",
];

describe("simpleHtml: real and hand-written bodies", () => {
  it("takes the fast path on every shared-fixture body in the dialect, with the slow path's result", () => {
    for (const body of SHARED_FIXTURE_BODIES) expectFast(body);
    for (const body of SHARED_FIXTURE_SLOW_ONLY) {
      expect(simpleHtml(body)).toBeNull();
      expectFaithful(body);
    }
  });

  it("is faithful on every body in the repository's fixtures, and fast on the Mastodon/GoToSocial/Pleroma ones", () => {
    const bodies = repositoryFixtureBodies();
    expect(bodies.length).toBeGreaterThan(8);
    for (const body of bodies) expectFaithful(body);
    for (const name of ["mastodon-dm-create.json", "gts-dm-create.json", "pleroma-dm-create.json", "mastodon-4.3-dm-reply-with-media.json"]) {
      expectFast(loadFixture(name).object.content as string);
    }
  });

  it.each(HAND_WRITTEN)("takes the fast path with the slow path's result: %j", (body) => {
    expectFast(body);
  });

  it.each(HOSTILE)("leaves hostile or unusual input to sanitize-html or matches it: %j", (body) => {
    expectFaithful(body);
  });

  it("declines the forms it does not model", () => {
    for (const body of ["<b>x</b>", "<p>a<p>b</p></p>", "<a href='x'>x</a>", "&nbsp;", "a < b", "<!---->", "<p>x", "<span/>", "<P>x</P>"]) {
      expect(simpleHtml(body), body).toBeNull();
    }
  });
});

// ─── generated documents ─────────────────────────────────────────────────────

const TEXT_UNITS = [
  "a", "b", "Z", "0", " ", " ", "  ", "\n", "\t", "\r\n", "\f", "\u00a0", "é", "😀", ">", '"', "'", "=", "/", "@", "#", ":", ";",
  "&amp;", "&lt;", "&gt;", "&quot;", "&#39;", "&apos;", "&#65;", "&#x41;", "&#x1F600;", "&#10;", "&#32;", "&#160;", "&#x3c;",
];
const text = fc.string({ unit: fc.constantFrom(...TEXT_UNITS), maxLength: 12 });

const HREFS = [
  "https://ours.example/@dave", "http://e.example/a?b=1&amp;c=2#f", "https://e.example/&quot;q&quot;", "mailto:x@e.example",
  "HTTPS://E.EXAMPLE/P", "  https://e.example/  ", "https://e.example/ü", "javascript:alert(1)", "java&#x09;script:alert(1)",
  "/relative", "", "data:text/html,x", "ftp://e.example/", "https://", "https://e.example/<x>",
];
const CLASS_TOKENS = ["h-card", "u-url", "mention", "hashtag", "ellipsis", "invisible", "p-name", "e-x-y", "foo", "H-card", "h-", "dt-x", "&amp;", "status-link"];
const SEPARATORS = [" ", "  ", "\t", "\n", "\u00a0"];
const classValue = fc
  .array(fc.tuple(fc.constantFrom(...SEPARATORS), fc.constantFrom(...CLASS_TOKENS)), { maxLength: 4 })
  .chain((parts) => fc.constantFrom("", " ").map((lead) => lead + parts.map(([sep, token], i) => (i === 0 ? token : sep + token)).join("")));

/** Attributes in any order, each at most once (duplicates are a near-miss, added below). */
const attributes = (names: Record<string, fc.Arbitrary<string>>) =>
  fc.subarray(Object.keys(names)).chain((keys) =>
    fc.tuple(fc.shuffledSubarray(keys, { minLength: keys.length }), ...keys.map((k) => names[k])).map(([order, ...values]) => {
      const byName = Object.fromEntries(keys.map((k, i) => [k, values[i]]));
      return order.map((k) => ` ${k}="${byName[k]}"`).join("");
    }),
  );
const spanAttributes = attributes({ class: classValue, translate: fc.constant("no"), "data-user": fc.constant("9zzz") });
const linkAttributes = attributes({
  href: fc.constantFrom(...HREFS),
  class: classValue,
  rel: fc.constantFrom("nofollow noopener noreferrer", "ugc", "tag", ""),
  target: fc.constantFrom("_blank", "_top"),
  translate: fc.constant("no"),
});
const br = fc.constantFrom("<br>", "<br/>", "<br />");

/** Inline content in the dialect: text, breaks, spans and (not nested) links. */
const { inline } = fc.letrec<{ inline: string; inLink: string }>((tie) => ({
  inline: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    text,
    br,
    fc.tuple(spanAttributes, fc.array(tie("inline"), { maxLength: 3 })).map(([a, kids]) => `<span${a}>${kids.join("")}</span>`),
    fc.tuple(linkAttributes, fc.array(tie("inLink"), { maxLength: 3 })).map(([a, kids]) => `<a${a}>${kids.join("")}</a>`),
  ),
  inLink: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    text,
    br,
    fc.tuple(spanAttributes, fc.array(tie("inLink"), { maxLength: 3 })).map(([a, kids]) => `<span${a}>${kids.join("")}</span>`),
  ),
}));
const paragraph = fc.tuple(fc.constantFrom("<p>", "<p >", '<p class="x">', '<p dir="auto">'), fc.array(inline, { maxLength: 4 })).map(([open, kids]) => `${open}${kids.join("")}</p>`);
const dialect = fc.array(fc.oneof({ weight: 3, arbitrary: paragraph }, inline, fc.constantFrom("\n", " ")), { maxLength: 5 }).map((parts) => parts.join(""));

const NEAR_MISSES = [
  "<", ">", "&", "&nbsp;", "&amp", "&AMP;", "&#0;", "&#x110000;", "&#xD800;", "&#128;", "&#X41;", "&#;", "&#12345678;",
  "<P>", "</P>", "<b>", "</b>", "<p>", "</p>", "<span>", "</span>", "<a>", "</a>", "</br>", "<br/ >", "<p/>", "<span/>",
  "<a href='https://e.example/'>", "<a href=https://e.example/>", '<span\tclass="h-card">', '<span class="h-card"\n>', '<span  class="x" >',
  '<span class="a" class="b">', '<a href="https://e.example/"href="x">', '<span class="x>', '<span class=>', "<span hidden>",
  "<!-- c -->", "<![CDATA[x]]>", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '<p onclick="x">', "<?x?>",
  '<a href="https://e.example/">', '<a href="javascript:alert(1)">', "<pre>", "<textarea>", "<br>", " ", '"', "'", "<1>", "< p>",
];

// Small edits that often leave a document the fast path still accepts (inside an attribute value, say), which is where a wrong answer would hide.
const SUBTLE = [">", '"', "'", " ", "  ", "\n", "=", "/", "&amp;", "&#1;", "&#x7f;", "<br>", "<p>", "</p>", "<span>", "</span>", '<span class="mention">', "</a>", "-"];
const splice = fc.oneof(fc.constantFrom(...NEAR_MISSES), fc.constantFrom(...SUBTLE));

/** A dialect document with near-misses spliced in and pieces cut out. */
const nearMiss = fc
  .tuple(dialect, fc.array(fc.tuple(fc.nat(), splice), { minLength: 1, maxLength: 3 }), fc.option(fc.tuple(fc.nat(), fc.nat({ max: 6 }))))
  .map(([doc, inserts, cut]) => {
    let out = doc;
    for (const [at, piece] of inserts) {
      const i = at % (out.length + 1);
      out = out.slice(0, i) + piece + out.slice(i);
    }
    if (cut !== null) {
      const i = cut[0] % (out.length + 1);
      out = out.slice(0, i) + out.slice(i + cut[1]);
    }
    return out;
  });

/** Tag soup from the same pieces, with no regard for structure. */
const soup = fc.array(fc.oneof(fc.constantFrom(...NEAR_MISSES), text), { maxLength: 12 }).map((parts) => parts.join(""));

describe("simpleHtml: generated documents", () => {
  it("is exactly the slow path whenever it answers, on in-dialect documents", () => {
    fc.assert(fc.property(dialect, expectFaithful), { numRuns: runs(400) });
  });

  it("is exactly the slow path whenever it answers, on near-misses and tag soup", () => {
    fc.assert(fc.property(fc.oneof(nearMiss, soup), expectFaithful), { numRuns: runs(600) });
  });

  it("is exactly the slow path whenever it answers, on arbitrary strings", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 40 }), expectFaithful), { numRuns: runs(300) });
  });

  it("has the same text as htmlToText of the raw input (how content.ts reads a content warning), whenever it answers", () => {
    fc.assert(
      fc.property(fc.oneof(dialect, nearMiss), (html) => {
        const fast = simpleHtml(html);
        if (fast !== null) expect(fast.text).toBe(htmlToText(html));
      }),
      { numRuns: runs(400) },
    );
    for (const body of [...HAND_WRITTEN, ...HOSTILE]) {
      const fast = simpleHtml(body);
      if (fast !== null) expect(fast.text, JSON.stringify(body)).toBe(htmlToText(body));
    }
  });

  it("answers (takes the fast path) on nearly all in-dialect documents", () => {
    const docs = fc.sample(dialect, { numRuns: 300, seed: 1 });
    const answered = docs.filter((doc) => simpleHtml(doc) !== null).length;
    expect(answered / docs.length).toBeGreaterThan(0.95);
  });
});
