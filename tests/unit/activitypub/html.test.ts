import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { LINK_REL, escapeHtml, htmlToText, sanitizeRemoteHtml, textToHtml } from "@/lib/activitypub/html";
import { loadFixture } from "./load-fixture";

const ALLOWED_ATTRIBUTES: Record<string, string[]> = {
  p: [], br: [], span: ["class"], a: ["href", "rel", "class", "target"], del: [], s: [], pre: [], blockquote: [],
  code: [], b: [], strong: [], u: [], i: [], em: [], ul: [], ol: ["start", "reversed"], li: ["value"],
  ruby: [], rt: [], rp: [],
};
const ALLOWED_CLASS = /^(?:(?:h|p|u|dt|e)-[a-z0-9-]+|mention|hashtag|ellipsis|invisible)$/;

/** Every opening tag in sanitised output with its attributes; throws on anything that is not a clean tag. */
function tagsOf(html: string): { name: string; attrs: Record<string, string> }[] {
  const tags: { name: string; attrs: Record<string, string> }[] = [];
  for (const raw of html.match(/<[^>]*>?/g) ?? []) {
    if (raw.startsWith("</")) {
      expect(raw).toMatch(/^<\/[a-z]+>$/);
      continue;
    }
    const match = /^<([a-z]+)((?:\s+[a-z-]+(?:="[^"<>]*")?)*)\s*\/?>$/.exec(raw);
    expect(match, `malformed tag ${raw}`).not.toBeNull();
    const attrs: Record<string, string> = {};
    for (const a of match![2].matchAll(/([a-z-]+)(?:="([^"]*)")?/g)) attrs[a[1]] = a[2] ?? "";
    tags.push({ name: match![1], attrs });
  }
  return tags;
}

function expectSafe(output: string): void {
  expect(output).not.toMatch(/<\s*script/i);
  for (const { name, attrs } of tagsOf(output)) {
    expect(Object.keys(ALLOWED_ATTRIBUTES), `tag <${name}>`).toContain(name);
    for (const [attr, value] of Object.entries(attrs)) {
      expect(ALLOWED_ATTRIBUTES[name], `attribute ${attr} on <${name}>`).toContain(attr);
      expect(attr).not.toMatch(/^on/i);
      expect(value).not.toMatch(/javascript:|vbscript:|data:/i);
      if (attr === "href") expect(value).toMatch(/^(https?:\/\/|mailto:)/);
      if (attr === "class") for (const c of value.split(" ")) expect(c).toMatch(ALLOWED_CLASS);
    }
    if (name === "a") {
      expect(attrs.rel).toBe(LINK_REL);
      expect(attrs.target).toBe("_blank");
    }
  }
}

describe("sanitizeRemoteHtml: XSS vectors", () => {
  const vectors: [name: string, input: string, expected: string][] = [
    ["script tag", "<script>alert(1)</script>", ""],
    ["uppercase script with src", "<SCRIPT SRC=//evil.example/x.js></SCRIPT>", ""],
    ["script split by a nested script", "<scr<script>ipt>alert(1)</script>", "ipt&gt;alert(1)"],
    ["nested script confusion", "<<script>script>alert(1)<</script>/script>", "&lt;/script&gt;"],
    ["img onerror", "<img src=x onerror=alert(1)>", ""],
    ["img javascript src", '<img src="javascript:alert(1)">', ""],
    ["svg onload", "<svg onload=alert(1)>", ""],
    ["svg with script", "<svg><script>alert(1)</script></svg>", ""],
    ["javascript href", '<a href="javascript:alert(1)">x</a>', "<span>x</span>"],
    ["mixed-case javascript href", '<a href="JaVaScRiPt:alert(1)">x</a>', "<span>x</span>"],
    ["leading-space javascript href", '<a href="  javascript:alert(1)">x</a>', "<span>x</span>"],
    ["unquoted javascript href", "<a href=javascript:alert(1)>x</a>", "<span>x</span>"],
    ["decimal-entity javascript", '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>', "<span>x</span>"],
    ["hex-entity javascript with &colon;", '<a href="&#x6A;avascript&colon;alert(1)">x</a>', "<span>x</span>"],
    ["tab inside javascript", '<a href="java\tscript:alert(1)">x</a>', "<span>x</span>"],
    ["entity tab inside javascript", '<a href="java&#x09;script:alert(1)">x</a>', "<span>x</span>"],
    ["entity newline inside javascript", '<a href="java&#10;script:alert(1)">x</a>', "<span>x</span>"],
    ["data: href", '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>', "<span>x</span>"],
    ["vbscript href", '<a href="vbscript:msgbox(1)">x</a>', "<span>x</span>"],
    ["protocol-relative href", '<a href="//evil.example/x">x</a>', "<span>x</span>"],
    ["relative href", '<a href="/settings">x</a>', "<span>x</span>"],
    ["style attribute", '<p style="background:url(javascript:alert(1))">x</p>', "<p>x</p>"],
    ["style on span", '<span style="position:fixed;top:0">x</span>', "<span>x</span>"],
    ["style element", "<style>@import 'javascript:alert(1)';</style>ok", "ok"],
    ["event handlers on a link", '<a href="https://ok.example/" onclick="alert(1)" onmouseover="x">ok</a>', `<a href="https://ok.example/" rel="${LINK_REL}" target="_blank">ok</a>`],
    ["event handler on a block", '<div onclick="alert(1)">text</div>', "text"],
    ["details ontoggle", "<details open ontoggle=alert(1)>x</details>", "x"],
    ["iframe", '<iframe src="javascript:alert(1)">fallback</iframe>', ""],
    ["object", '<object data="javascript:alert(1)">fallback</object>', ""],
    ["form action", '<form action="javascript:alert(1)"><button>go</button></form>', "go"],
    ["meta refresh", '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">', ""],
    ["base href", '<base href="javascript:/">', ""],
    ["html comment", "<!--<script>alert(1)</script>-->", ""],
    ["CDATA", "<![CDATA[<script>alert(1)</script>]]>", ""],
    ["attribute breakout", '"><script>alert(1)</script>', '"&gt;'],
    ["noscript mXSS", '<noscript><p title="</noscript><img src=x onerror=alert(1)>">', ""],
    ["math/style mXSS", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", ""],
    ["xmp", "<xmp><script>alert(1)</script></xmp>", ""],
    ["textarea", "<textarea><script>alert(1)</script></textarea>", ""],
    ["video source onerror", '<video><source onerror="alert(1)"></video>', ""],
    ["broken markup", '<p>broken <b>bold <a href="https://ok.example/">link', `<p>broken <b>bold <a href="https://ok.example/" rel="${LINK_REL}" target="_blank">link</a></b></p>`],
    ["unterminated attribute", '<a href="https://ok.example/ onclick=alert(1)>x', ""],
    ["mailto with markup in query", '<a href="mailto:x@example.com?body=<script>">m</a>', `<a href="mailto:x@example.com?body=%3Cscript%3E" rel="${LINK_REL}" target="_blank">m</a>`],
  ];

  it.each(vectors)("%s", (_name, input, expected) => {
    const output = sanitizeRemoteHtml(input);
    expectSafe(output);
    expect(output).toBe(expected);
  });

  it("drops script and style content entirely, not just the tags", () => {
    const output = sanitizeRemoteHtml("<p>a<script>var secret = 1;</script>b<style>p{color:red}</style>c</p>");
    expect(output).toBe("<p>abc</p>");
  });

  it("forces rel and target on links and keeps only allowed classes", () => {
    const output = sanitizeRemoteHtml(
      '<a href="https://ok.example/tags/x" class="mention hashtag evil u-url" rel="me" target="_self">#x</a>',
    );
    expect(output).toBe(`<a href="https://ok.example/tags/x" rel="${LINK_REL}" target="_blank" class="mention hashtag u-url">#x</a>`);
  });

  it("keeps numeric list attributes only", () => {
    expect(sanitizeRemoteHtml('<ol start="3" reversed><li value="x">a</li><li value="7">b</li></ol>')).toBe(
      '<ol start="3" reversed><li>a</li><li value="7">b</li></ol>',
    );
    expect(sanitizeRemoteHtml('<ol start="1&quot; onclick=&quot;x">x</ol>')).toBe("<ol>x</ol>");
  });

  it("is safe for arbitrary HTML-ish input", () => {
    const piece = fc.oneof(
      fc.constantFrom(
        "<script>", "</script>", "<img src=x onerror=alert(1)>", '<a href="', "<a href=", "javascript:", "JAVASCRIPT:",
        "&#106;", "&#x6A;", "&colon;", '"', "'", ">", "<", "</", "<svg", " onload=", "<style>", "data:text/html,",
        "vbscript:", "</a>", "<p>", "<!--", "-->", "<![CDATA[", "&lt;", "\t", "\n", "<iframe src=", "<math>", "<xmp>",
        "<noscript>", "<textarea>", "<span class=", "style=", "<a href='https://ok.example/'>", " ", "=", "/",
      ),
      fc.string({ maxLength: 6 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
        expectSafe(sanitizeRemoteHtml(pieces.join("")));
      }),
      { numRuns: 1000 },
    );
  });
});

describe("sanitizeRemoteHtml: what remote servers send", () => {
  it("keeps Mastodon's mention markup", () => {
    const { object } = loadFixture("mastodon-dm-create.json");
    expect(sanitizeRemoteHtml(object.content)).toBe(
      `<p><span class="h-card"><a href="https://ours.example/@dave" rel="${LINK_REL}" target="_blank" class="u-url mention">@<span>dave</span></a></span> are we still on for Friday?</p>`,
    );
  });

  it("keeps Mastodon's shortened-link spans", () => {
    const { object } = loadFixture("mastodon-4.3-dm-reply-with-media.json");
    const output = sanitizeRemoteHtml(object.content);
    expect(output).toContain('<span class="invisible">https://</span>');
    expect(output).toContain("&amp; enjoy<br />two pictures");
    expectSafe(output);
  });

  it("keeps the formatting elements on the allow-list", () => {
    const input =
      "<p><b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><del>d</del><s>s</s><code>c</code></p>" +
      "<blockquote><p>q</p></blockquote><pre><code>x  y</code></pre><ul><li>l</li></ul><ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby>";
    expect(sanitizeRemoteHtml(input)).toBe(input);
  });

  it("turns headings into paragraphs and drops other unknown elements but keeps their text", () => {
    expect(sanitizeRemoteHtml("<h1>Title</h1><p>body <marquee>old</marquee></p>")).toBe("<p>Title</p><p>body old</p>");
  });
});

describe("htmlToText", () => {
  it("turns <br> into a newline and paragraphs into a blank line", () => {
    expect(htmlToText("<p>one<br>two<br/>three</p><p>four</p>")).toBe("one\ntwo\nthree\n\nfour");
  });

  it("decodes entities once", () => {
    expect(htmlToText("<p>a &amp; b &lt;c&gt; &quot;d&quot; &#39;e&#39; &amp;lt;</p>")).toBe(`a & b <c> "d" 'e' &lt;`);
  });

  it("drops tags, scripts and styles", () => {
    expect(htmlToText('<p>hi <a href="javascript:x">there</a><script>alert(1)</script><style>p{}</style></p>')).toBe("hi there");
  });

  it("collapses source whitespace like a browser, except in <pre>", () => {
    expect(htmlToText("<p>\n  spaced\n   out  </p>\n\n<p> next</p>")).toBe("spaced out\n\nnext");
    expect(htmlToText("<pre>a  b\n  c</pre>")).toBe("a  b\n  c");
  });

  it("keeps consecutive <br> as blank lines but not leading or trailing ones", () => {
    expect(htmlToText("<br><p>a<br><br>b<br></p><br>")).toBe("a\n\nb");
  });

  it("puts list items on their own lines", () => {
    expect(htmlToText("<p>list:</p><ul><li>one</li><li>two</li></ul>")).toBe("list:\n\none\ntwo");
  });

  it("reads Mastodon mentions and shortened links as their full text", () => {
    expect(htmlToText(loadFixture("mastodon-4.3-dm-reply-with-media.json").object.content)).toBe(
      "@dave @carol here you go & enjoy\ntwo pictures\n\nsee https://photos.example/album/1",
    );
  });

  it("reads GoToSocial and Misskey content", () => {
    expect(htmlToText(loadFixture("gts-dm-create.json").object.content)).toBe("hey @alice quick private question");
    expect(htmlToText(loadFixture("misskey-dm-create.json").object.content)).toBe("@dave@ours.example the secret plan");
  });

  it("handles plain text and empty input", () => {
    expect(htmlToText("just text")).toBe("just text");
    expect(htmlToText("")).toBe("");
    expect(htmlToText("1 < 2 & 3 > 2")).toBe("1 < 2 & 3 > 2");
  });
});

describe("textToHtml", () => {
  const mentions = new Map([
    ["@bob@example.com", "https://example.com/users/bob"],
    ["carol@GTS.example", "https://gts.example/users/carol"],
  ]);

  it("escapes HTML", () => {
    expect(textToHtml(`<script>alert("x")</script> & 'y'`)).toBe(
      "<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;</p>",
    );
  });

  it("makes paragraphs on blank lines and <br> on single newlines", () => {
    expect(textToHtml("one\ntwo\n\nthree\r\n\r\n\r\nfour\n \nfive")).toBe("<p>one<br>two</p><p>three</p><p>four</p><p>five</p>");
  });

  it("drops leading and trailing blank lines and answers empty for blank text", () => {
    expect(textToHtml("\n\n  \nhello\n\n")).toBe("<p>hello</p>");
    expect(textToHtml("")).toBe("");
    expect(textToHtml(" \n \n")).toBe("");
  });

  it("linkifies http(s) URLs without trailing punctuation", () => {
    expect(textToHtml("see https://x.example/a?b=1&c=2.")).toBe(
      `<p>see <a href="https://x.example/a?b=1&amp;c=2" rel="${LINK_REL}" target="_blank">https://x.example/a?b=1&amp;c=2</a>.</p>`,
    );
    expect(textToHtml("(https://x.example/p) and https://en.example/wiki/A_(b)")).toBe(
      `<p>(<a href="https://x.example/p" rel="${LINK_REL}" target="_blank">https://x.example/p</a>) and ` +
        `<a href="https://en.example/wiki/A_(b)" rel="${LINK_REL}" target="_blank">https://en.example/wiki/A_(b)</a></p>`,
    );
  });

  it("does not linkify other schemes or a bare scheme", () => {
    expect(textToHtml("javascript:alert(1) ftp://x.example https:// http://")).toBe(
      "<p>javascript:alert(1) ftp://x.example https:// http://</p>",
    );
  });

  it("links known mentions as Mastodon h-cards", () => {
    expect(textToHtml("hi @bob@example.com!", { mentions })).toBe(
      '<p>hi <span class="h-card"><a href="https://example.com/users/bob" class="u-url mention">@<span>bob</span></a></span>!</p>',
    );
  });

  it("matches mentions regardless of host case and the map's spelling", () => {
    expect(textToHtml("@carol@gts.EXAMPLE", { mentions })).toContain('href="https://gts.example/users/carol"');
    expect(textToHtml("@Bob@example.com", { mentions })).toContain("@<span>Bob</span>");
  });

  it("leaves unknown mentions as text", () => {
    expect(textToHtml("hi @eve@else.example", { mentions })).toBe("<p>hi @eve@else.example</p>");
  });

  it("does not turn a handle inside a URL into a mention", () => {
    expect(textToHtml("https://example.com/@bob@example.com", { mentions })).toBe(
      `<p><a href="https://example.com/@bob@example.com" rel="${LINK_REL}" target="_blank">https://example.com/@bob@example.com</a></p>`,
    );
  });

  it("escapes a hostile actor URL from the map", () => {
    const html = textToHtml("@bob@example.com", { mentions: new Map([["@bob@example.com", 'https://x.example/"><script>']]) });
    expect(html).not.toContain("<script");
    expect(html).toContain("&quot;&gt;&lt;script&gt;");
  });

  it("creates no markup other than its own, for any text", () => {
    const text = fc.oneof(
      fc.string({ unit: "binary", maxLength: 60 }),
      fc.array(fc.constantFrom("<", ">", "&", '"', "'", "\n", "\n\n", " ", "https://x.example/a?b=<c>", "@bob@example.com", "@carol@gts.example", "<b>", "&amp;", "(", ")"), { maxLength: 20 }).map((p) => p.join("")),
    );
    const OWN_TAG =
      /<p>|<\/p>|<br>|<a href="[^"<>]*" rel="nofollow noopener noreferrer" target="_blank">|<a href="[^"<>]*" class="u-url mention">|<\/a>|<span class="h-card">|<span>|<\/span>/g;
    fc.assert(
      fc.property(text, (t) => {
        const html = textToHtml(t, { mentions });
        const rest = html.replace(OWN_TAG, "");
        expect(rest).not.toMatch(/[<>"']/);
        expect(rest).not.toMatch(/&(?!amp;|lt;|gt;|quot;|#39;)/);
      }),
      { numRuns: 500 },
    );
  });

  it("round-trips through htmlToText up to whitespace", () => {
    const word = fc.stringMatching(/^[a-z<>&"'.:\/@0-9]{1,8}$/);
    const sep = fc.constantFrom(" ", "  ", "\n", "\n\n", " \n ", "\n\n\n");
    const normalise = (t: string) =>
      t.replace(/ +/g, " ").replace(/ *\n */g, "\n").replace(/\n{3,}/g, "\n\n").trim();
    fc.assert(
      fc.property(fc.array(fc.tuple(word, sep), { minLength: 1, maxLength: 12 }), (parts) => {
        const text = parts.map(([w, s]) => w + s).join("");
        expect(htmlToText(textToHtml(text))).toBe(normalise(text));
      }),
      { numRuns: 500 },
    );
  });
});

describe("escapeHtml", () => {
  it("escapes the five HTML-significant characters", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });
});
