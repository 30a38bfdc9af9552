import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PUBLIC, classifyVisibility, isDirectMessage, isPublicAddress, looksLikeFollowersCollection } from "@/lib/activitypub/addressing";
import { extractDmContent } from "@/lib/activitypub/content";
import { participantsOf, threadRefs } from "@/lib/activitypub/conversation";
import { htmlToText, sanitizeRemoteHtml } from "@/lib/activitypub/html";
import { normalizeHandle, parseHandleInput, parseMentions } from "@/lib/activitypub/mentions";
import { asArray, hasType, hrefOf, idOf, idsOf, isHttpUrl, stringOf, typesOf } from "@/lib/activitypub/values";

// Property-based fuzzing of everything in lib/activitypub that reads remote
// input: the readers never throw on any JSON (or any JavaScript value), the
// DM classifier never calls anything addressed to Public or a followers
// collection a DM (and is exact otherwise), and HTML that comes out of the
// sanitiser, or out of a DM object, holds no script, handler or script URL.
// html.test.ts, mentions.test.ts and addressing.test.ts hold the example-based
// tests and a few narrower properties; these are the adversarial ones.

/** numRuns, scaled by MOIETY_FUZZ_FACTOR (e.g. 50) to search harder than the suite's few seconds allow. */
const runs = (n: number) => Math.max(1, Math.round(n * Number(process.env.MOIETY_FUZZ_FACTOR ?? 1)));

/** Any JavaScript value a JSON parser or a careless caller could hand over, including odd objects. */
const anything = fc.anything({
  maxDepth: 4,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
});
const json = fc.jsonValue({ maxDepth: 5 });

// ─── addressing ──────────────────────────────────────────────────────────────

const PUBLIC_FORMS = [PUBLIC, "http://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"];
/** A followers collection that cannot be recognised by its URL: only the sender's actor document names it. */
const KNOWN_FOLLOWERS = "https://gts.example/users/dana/fans";
const OPTIONS = { followersCollections: [KNOWN_FOLLOWERS] };
const MESSAGE_TYPES = ["Note", "Question", "Article", "ChatMessage", "as:Note", "as:ChatMessage"];

const actorUrl = fc.webUrl({ withFragments: false, withQueryParameters: false }).filter((u) => !looksLikeFollowersCollection(u));
const followersUrl = fc.webUrl({ withFragments: false, withQueryParameters: false }).map((u) => `${u.replace(/\/+$/, "")}/followers`);
const publicForm = fc.constantFrom(...PUBLIC_FORMS);
const address = fc.oneof(
  { weight: 6, arbitrary: actorUrl },
  { weight: 1, arbitrary: publicForm },
  { weight: 1, arbitrary: followersUrl },
  { weight: 1, arbitrary: fc.constant(KNOWN_FOLLOWERS) },
);
const isWide = (id: string) => isPublicAddress(id) || looksLikeFollowersCollection(id) || id === KNOWN_FOLLOWERS;

/** An address as servers write it: a bare IRI, an embedded object, a Link; with the id it stands for. */
const shaped = (ids: fc.Arbitrary<string>) =>
  ids.chain((id) =>
    fc
      .constantFrom<unknown>(id, { id }, { type: "Link", href: id }, { type: "Collection", id, href: "https://elsewhere.example/x" }, { id, name: "x" })
      .map((value) => ({ id, value })),
  );

type Field = { ids: string[]; value: unknown };
/** One addressing property: absent, null, a scalar (GoToSocial) or an array, plus junk entries no reader takes as an address. */
const field = (ids: fc.Arbitrary<string>): fc.Arbitrary<Field> =>
  fc.oneof(
    fc.constant<Field>({ ids: [], value: undefined }),
    fc.constant<Field>({ ids: [], value: null }),
    shaped(ids).map((s) => ({ ids: [s.id], value: s.value })),
    fc
      .tuple(fc.array(shaped(ids), { maxLength: 4 }), fc.array(fc.constantFrom<unknown>(null, 3, "", {}, { name: "no id" }, []), { maxLength: 2 }))
      .map(([entries, junk]) => ({ ids: entries.map((e) => e.id), value: [...entries.map((e) => e.value), ...junk] })),
  );

const KEYS = ["to", "cc", "bto", "bcc", "audience"] as const;
type Addressed = Record<(typeof KEYS)[number], Field>;
const addressing = (ids: fc.Arbitrary<string>): fc.Arbitrary<Addressed> =>
  fc.record({ to: field(ids), cc: field(ids), bto: field(ids), bcc: field(ids), audience: field(ids) });

function withFields(base: Record<string, unknown>, fields: Addressed): Record<string, unknown> {
  const out = { ...base };
  for (const k of KEYS) if (fields[k].value !== undefined) out[k] = fields[k].value;
  return out;
}

/** A Create of one Note-like object (or something close to it), with its addressing on both. */
const createArb = (ids: fc.Arbitrary<string>) =>
  fc
    .record({
      activityType: fc.constantFrom("Create", "Create", "Create", "as:Create", "Update", "Announce", ["Create", "Activity"]),
      objectType: fc.constantFrom(...MESSAGE_TYPES, "Image", "Person", ["Note", "Thing"]),
      objectShape: fc.constantFrom("embedded", "embedded", "embedded", "one-element array", "two objects", "id only"),
      onObject: addressing(ids),
      onActivity: addressing(ids),
      junk: fc.dictionary(fc.constantFrom("content", "tag", "context", "conversation", "inReplyTo", "summary", "x"), json, { maxKeys: 3 }),
    })
    .map((g) => {
      const object = withFields({ id: "https://a.example/notes/1", type: g.objectType, attributedTo: "https://a.example/users/alice", ...g.junk }, g.onObject);
      const objectValue =
        g.objectShape === "embedded" ? object : g.objectShape === "one-element array" ? [object] : g.objectShape === "two objects" ? [object, object] : object.id;
      const activity = withFields({ id: "https://a.example/activities/1", type: g.activityType, actor: "https://a.example/users/alice", object: objectValue }, g.onActivity);
      return { g, object, activity };
    });

describe("isDirectMessage and classifyVisibility", () => {
  it("never throw on any value, and answer a boolean / a visibility", () => {
    const visibilities = ["public", "unlisted", "followers", "direct"];
    fc.assert(
      fc.property(anything, anything, (a, b) => {
        expect(typeof isDirectMessage(a, OPTIONS)).toBe("boolean");
        expect(typeof isDirectMessage({ type: "Create", object: a, to: b })).toBe("boolean");
        expect(visibilities).toContain(classifyVisibility(a, b, OPTIONS));
      }),
      { numRuns: runs(400) },
    );
  });

  it("never call a post a DM when Public or a followers collection is anywhere in its addressing", () => {
    fc.assert(
      fc.property(createArb(address), ({ g, object, activity }) => {
        const all = KEYS.flatMap((k) => [...g.onObject[k].ids, ...g.onActivity[k].ids]);
        if (all.some(isWide)) expect(isDirectMessage(activity, OPTIONS)).toBe(false);
        // classifyVisibility reads to/cc of the object, each falling back to the activity's.
        const effective = (["to", "cc"] as const).flatMap((k) => (g.onObject[k].value !== undefined && g.onObject[k].value !== null ? g.onObject[k].ids : g.onActivity[k].ids));
        if (effective.some(isWide)) expect(classifyVisibility(object, activity, OPTIONS)).not.toBe("direct");
        if (isDirectMessage(activity, OPTIONS)) expect(classifyVisibility(object, activity, OPTIONS)).toBe("direct");
      }),
      { numRuns: runs(500) },
    );
  });

  it("calls exactly the embedded, narrowly addressed Creates of a message a DM", () => {
    fc.assert(
      fc.property(createArb(address), ({ g, activity }) => {
        const all = KEYS.flatMap((k) => [...g.onObject[k].ids, ...g.onActivity[k].ids]);
        const effective = (["to", "cc"] as const).flatMap((k) => (g.onObject[k].value !== undefined && g.onObject[k].value !== null ? g.onObject[k].ids : g.onActivity[k].ids));
        const expected =
          hasType({ type: g.activityType }, "Create") &&
          ["embedded", "one-element array"].includes(g.objectShape) &&
          hasType({ type: g.objectType }, "Note", "Question", "Article", "ChatMessage") &&
          !all.some(isWide) &&
          effective.length > 0;
        expect(isDirectMessage(activity, OPTIONS)).toBe(expected);
      }),
      { numRuns: runs(500) },
    );
  });

  it("stops calling a DM a DM once Public or a followers collection is added anywhere, in any shape", () => {
    const dm = createArb(actorUrl).filter(({ activity }) => isDirectMessage(activity, OPTIONS));
    const wide = shaped(fc.oneof(publicForm, followersUrl, fc.constant(KNOWN_FOLLOWERS)));
    fc.assert(
      fc.property(dm, wide, fc.constantFrom("object", "activity"), fc.constantFrom(...KEYS), fc.boolean(), (generated, extra, where, key, asScalar) => {
        const activity = structuredClone(generated.activity);
        const target = (where === "object" ? (Array.isArray(activity.object) ? activity.object[0] : activity.object) : activity) as Record<string, unknown>;
        target[key] = asScalar ? extra.value : [...asArray(target[key]), extra.value];
        expect(isDirectMessage(activity, OPTIONS)).toBe(false);
      }),
      { numRuns: runs(500) },
    );
  });
});

// ─── threads, participants, content ──────────────────────────────────────────

/** A DM-shaped object whose every property may be replaced by anything. */
const noteLike = fc
  .record(
    {
      id: fc.oneof(actorUrl, json),
      type: fc.oneof(fc.constantFrom("Note", "ChatMessage", ["Note"]), json),
      attributedTo: fc.oneof(actorUrl, fc.array(fc.oneof(actorUrl, json), { maxLength: 3 }), json),
      to: fc.oneof(fc.array(address, { maxLength: 4 }), address, json),
      cc: fc.oneof(fc.array(address, { maxLength: 4 }), json),
      context: fc.oneof(actorUrl, fc.record({ id: actorUrl, type: fc.constant("Collection") }), json),
      conversation: fc.oneof(fc.string(), json),
      inReplyTo: fc.oneof(actorUrl, fc.record({ id: fc.oneof(actorUrl, json) }), json),
      content: fc.oneof(fc.string(), json),
      contentMap: fc.oneof(fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string(), json)), json),
      summary: fc.oneof(fc.string(), json),
      sensitive: json,
      source: fc.oneof(fc.record({ content: fc.string(), mediaType: fc.constantFrom("text/plain", "text/html", "text/x.misskeymarkdown") }), json),
      _misskey_content: fc.oneof(fc.string(), json),
      attachment: fc.oneof(
        fc.array(
          fc.record({ type: fc.constantFrom("Document", "Image", "Link", "Video", "Audio", "Note"), url: fc.oneof(fc.webUrl(), fc.string(), json), mediaType: json, name: json, width: json, height: json, href: json }, { requiredKeys: [] }),
          { maxLength: 3 },
        ),
        json,
      ),
      tag: fc.oneof(fc.array(fc.record({ type: fc.constantFrom("Mention", "Hashtag", "Emoji"), href: fc.oneof(fc.webUrl(), json), name: json }, { requiredKeys: [] }), { maxLength: 3 }), json),
    },
    { requiredKeys: [] },
  );
const objectish = fc.oneof({ weight: 3, arbitrary: noteLike }, { weight: 1, arbitrary: anything });

describe("threadRefs and participantsOf", () => {
  it("threadRefs never throws, and gives distinct non-empty ids in priority order", () => {
    fc.assert(
      fc.property(objectish, (note) => {
        const refs = threadRefs(note);
        expect(refs.length).toBeLessThanOrEqual(3);
        expect(new Set(refs.map((r) => r.id)).size).toBe(refs.length);
        const order = ["context", "conversation", "inReplyTo"];
        for (const [i, r] of refs.entries()) {
          expect(typeof r.id === "string" && r.id.length > 0).toBe(true);
          if (i > 0) expect(order.indexOf(r.kind)).toBeGreaterThan(order.indexOf(refs[i - 1].kind));
        }
      }),
      { numRuns: runs(500) },
    );
  });

  it("participantsOf never throws and never counts Public or a followers collection as a person", () => {
    fc.assert(
      fc.property(objectish, objectish, fc.option(fc.oneof(actorUrl, fc.string())), (object, activity, owner) => {
        const people = participantsOf(object, activity, owner ?? undefined);
        expect(new Set(people).size).toBe(people.length);
        for (const p of people) {
          expect(typeof p).toBe("string");
          expect(isPublicAddress(p)).toBe(false);
          expect(looksLikeFollowersCollection(p)).toBe(false);
        }
        if (owner && isHttpUrl(owner) && !looksLikeFollowersCollection(owner)) expect(people).toContain(new URL(owner).href);
      }),
      { numRuns: runs(500) },
    );
  });
});

// ─── HTML ────────────────────────────────────────────────────────────────────

const ALLOWED_TAGS = new Set(["p", "br", "span", "a", "del", "s", "pre", "blockquote", "code", "b", "strong", "u", "i", "em", "ul", "ol", "li", "ruby", "rt", "rp"]);
const ALLOWED_ATTRIBUTES: Record<string, Set<string>> = {
  a: new Set(["href", "rel", "class", "target"]),
  span: new Set(["class"]),
  ol: new Set(["start", "reversed"]),
  li: new Set(["value"]),
};

function decodeEntities(s: string): string {
  return s
    .replace(/&#x([0-9a-f]+);?/gi, (_, h) => String.fromCodePoint(Math.min(Number.parseInt(h, 16), 0x10ffff)))
    .replace(/&#(\d+);?/g, (_, d) => String.fromCodePoint(Math.min(Number(d), 0x10ffff)))
    .replace(/&quot;/g, '"')
    .replace(/&apos;|&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&colon;/gi, ":")
    .replace(/&tab;/gi, "\t")
    .replace(/&newline;/gi, "\n")
    .replace(/&amp;/g, "&");
}

/**
 * Sanitised HTML as a browser would tokenise it: every "<" opens an allowed
 * tag with allowed, double-quoted attributes; no event handler; every href,
 * after entity decoding and with the control characters browsers skip
 * removed, is an http(s) or mailto URL.
 */
function expectHarmless(html: string): void {
  expect(html).not.toMatch(/<\s*\/?\s*(script|style|iframe|object|embed|svg|math|img|form|input|base|meta|link|template)\b/i);
  let rest = html;
  for (const raw of html.match(/<[^>]*>?/g) ?? []) {
    rest = rest.replace(raw, "");
    const closing = /^<\/([a-z]+)>$/.exec(raw);
    if (closing) {
      expect(ALLOWED_TAGS, raw).toContain(closing[1]);
      continue;
    }
    const open = /^<([a-z]+)((?:\s+[a-z-]+(?:="[^"<>]*")?)*)\s*\/?>$/.exec(raw);
    expect(open, `not a clean tag: ${raw}`).not.toBeNull();
    const [, name, attrs] = open!;
    expect(ALLOWED_TAGS, raw).toContain(name);
    for (const [, attr, value = ""] of attrs.matchAll(/([a-z-]+)(?:="([^"]*)")?/g)) {
      expect(ALLOWED_ATTRIBUTES[name]?.has(attr), `${attr} on <${name}> in ${raw}`).toBe(true);
      const decoded = decodeEntities(value).replace(/[\u0000-\u0020\u007f-\u009f]/g, "").toLowerCase();
      expect(decoded).not.toMatch(/javascript:|vbscript:|data:|livescript:/);
      if (attr === "href") expect(decoded).toMatch(/^(https?:\/\/|mailto:)/);
    }
  }
  // Outside tags, "<" and ">" only appear escaped.
  expect(rest).not.toMatch(/[<>]/);
}

// A small HTML grammar aimed at sanitisers: dangerous elements, handlers,
// obfuscated script URLs (entities, case, whitespace, control characters),
// broken quoting, comments, CDATA, deep nesting.
const scheme = fc.constantFrom(
  "javascript:", "JaVaScRiPt:", " javascript:", "java\tscript:", "java\nscript:", "java\u0000script:", "&#106;avascript:", "&#x6A;avascript:",
  "javascript&colon;", "javascript&#58;", "javas&#99;ript:", "vbscript:", "data:text/html,", "data:image/svg+xml,", "\u0001javascript:", "jav&#x09;ascript:",
  "https:", "http:", "mailto:", "//", "", "ftp:", "file:",
);
const urlValue = fc.tuple(scheme, fc.constantFrom("alert(1)", "//evil.example/x", "evil.example", "%0aalert(1)", "x@y.example")).map(([s, r]) => s + r);
const attrName = fc.constantFrom("href", "src", "onclick", "onerror", "ONLOAD", "onmouseover", "style", "class", "rel", "target", "start", "value", "reversed", "formaction", "xlink:href", "srcdoc", "data-x", "id", "title", "on", "o\u0000nclick");
const attrValue = fc.oneof(urlValue, fc.constantFrom("alert(1)", "x:expression(alert(1))", "mention u-url evil", "h-card", "1", "-3", "1 onclick=alert(1)", '"><script>alert(1)</script>', "'", "`"), fc.string({ maxLength: 8 }));
const quoted = fc.tuple(attrName, attrValue, fc.constantFrom('"', "'", "", "`")).map(([n, v, q]) => ` ${n}=${q}${v}${q}`);
const tagName = fc.constantFrom(
  "script", "SCRIPT", "style", "iframe", "img", "svg", "math", "a", "p", "span", "b", "i", "ol", "li", "ul", "pre", "code", "object", "embed", "form",
  "input", "textarea", "xmp", "noscript", "template", "base", "meta", "link", "h1", "div", "table", "td", "blockquote", "ruby", "rt", "details", "video", "audio", "marquee", "x-y",
);
const text = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.constantFrom("alert(1)", "<", ">", "&", "&lt;script&gt;", "<!--", "-->", "<![CDATA[", "]]>", "</", "<!", "<?xml", "\u0000", "&#0;", "javascript:alert(1)"),
);
const element = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: "small", withCrossShrink: true }, text, tie("el"), tie("el"), tie("broken")),
  el: fc
    .tuple(tagName, fc.array(quoted, { maxLength: 3 }), fc.array(tie("node"), { maxLength: 3 }), fc.boolean())
    .map(([t, attrs, kids, close]) => `<${t}${attrs.join("")}>${(kids as string[]).join("")}${close ? `</${t}>` : ""}`),
  broken: fc.tuple(tagName, fc.array(quoted, { maxLength: 2 })).map(([t, attrs]) => `<${t}${attrs.join("")}`),
}));
const hostileHtml = fc.array(element.node as fc.Arbitrary<string>, { maxLength: 5 }).map((parts) => parts.join(""));

describe("sanitizeRemoteHtml and htmlToText", () => {
  it("sanitised output is harmless, and stays harmless when parsed again", () => {
    // Not a fixed point: "<h1><ul>" comes out as <p><ul></ul></p>, which an
    // HTML parser (a browser, or the sanitiser itself) restructures. What
    // matters is that no re-parse turns it into something active.
    fc.assert(
      fc.property(hostileHtml, (html) => {
        const once = sanitizeRemoteHtml(html);
        expectHarmless(once);
        expectHarmless(sanitizeRemoteHtml(once));
      }),
      { numRuns: runs(500) },
    );
  });

  it("survives deep nesting and long runs of tags", () => {
    fc.assert(
      fc.property(fc.constantFrom("b", "a href='https://x.example/'", "ol", "span class='h-card'", "script", "svg", "p"), fc.integer({ min: 50, max: 2000 }), (tag, depth) => {
        const name = tag.split(" ")[0];
        const html = `<${tag}>`.repeat(depth) + "<img src=x onerror=alert(1)>text" + `</${name}>`.repeat(depth);
        const out = sanitizeRemoteHtml(html);
        expectHarmless(out);
        expect(typeof htmlToText(html)).toBe("string");
      }),
      { numRuns: runs(10) },
    );
  });

  it("htmlToText never throws, on any string or on hostile HTML", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 200 }), hostileHtml), (html) => {
        const t = htmlToText(html);
        expect(typeof t).toBe("string");
        expect(t).not.toMatch(/ $/);
      }),
      { numRuns: runs(500) },
    );
  });
});

describe("extractDmContent", () => {
  it("never throws, and everything it returns is safe to use", () => {
    const withHostileBody = fc.tuple(noteLike, hostileHtml, fc.constantFrom("content", "contentMap", "summary")).map(([note, html, where]) =>
      where === "contentMap" ? { ...note, content: undefined, contentMap: { en: html, de: html } } : { ...note, [where]: html },
    );
    fc.assert(
      fc.property(fc.oneof(objectish, withHostileBody), fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }), (object, languages) => {
        const c = extractDmContent(object, { preferredLanguages: languages });
        expectHarmless(c.html);
        expect(typeof c.text).toBe("string");
        expect(c.contentWarning === null || (typeof c.contentWarning === "string" && c.contentWarning.length > 0)).toBe(true);
        expect(typeof c.sensitive).toBe("boolean");
        for (const a of c.attachments) {
          expect(isHttpUrl(a.url)).toBe(true);
          expect(["image", "video", "audio", "document"]).toContain(a.kind);
          for (const d of [a.width, a.height]) expect(d === null || (Number.isInteger(d) && d > 0)).toBe(true);
        }
        for (const m of c.mentions) expect(isHttpUrl(m.href)).toBe(true);
      }),
      { numRuns: runs(500) },
    );
  });
});

// ─── handles and mentions ────────────────────────────────────────────────────

const handleish = fc
  .tuple(
    fc.constantFrom("", "@", "acct:", "ACCT:@", " ", "https://", "http://", "javascript:", "@@"),
    fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.-]{0,12}$/), fc.string({ maxLength: 6 })),
    fc.constantFrom("@", "@@", "", ":", "/@"),
    fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 12 }), fc.constantFrom("xn--bcher-kva.example", "bücher.example", "a..b", "-a.example", "a-.example", "localhost")),
    fc.constantFrom("", ":443", ":0", ":65536", ":99999", ":1", ".", "/", "/users/bob", "?x=1", "#frag", " "),
  )
  .map((parts) => parts.join(""));

describe("parseHandleInput", () => {
  it("never throws on any text, and what it accepts is canonical", () => {
    const input = fc.oneof(fc.string({ unit: "binary", maxLength: 100 }), fc.string({ unit: "grapheme", maxLength: 60 }), handleish, fc.string({ minLength: 2040, maxLength: 2060 }));
    fc.assert(
      fc.property(input, (text) => {
        const parsed = parseHandleInput(text);
        if (parsed.kind === "handle") {
          expect(parsed.handle).toBe(`@${parsed.user}@${parsed.host}`);
          expect(parsed.host).toBe(parsed.host.toLowerCase());
          expect(normalizeHandle(parsed.handle)).toBe(parsed.handle);
          expect(parseHandleInput(parsed.handle)).toEqual(parsed);
        } else if (parsed.kind === "url") {
          expect(isHttpUrl(parsed.url)).toBe(true);
          expect(new URL(parsed.url).username).toBe("");
        } else {
          expect(parsed.error.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: runs(500) },
    );
  });
});

describe("parseMentions", () => {
  it("never throws; every match is an @handle at its index, in order, not overlapping", () => {
    const text = fc.oneof(
      fc.string({ unit: "binary", maxLength: 120 }),
      fc.array(fc.oneof(handleish, fc.constantFrom(" ", "\n", "(", ")", ",", ".", "@", "é", "/", "=", "https://x.example/@bob@y.example")), { maxLength: 8 }).map((p) => p.join("")),
    );
    fc.assert(
      fc.property(text, (t) => {
        let end = 0;
        for (const m of parseMentions(t)) {
          expect(m.index).toBeGreaterThanOrEqual(end);
          const written = t.slice(m.index, m.index + m.length);
          expect(written.startsWith("@")).toBe(true);
          expect(normalizeHandle(written)).toBe(m.handle);
          expect(m.handle).toBe(`@${m.user}@${m.host}`);
          end = m.index + m.length;
        }
      }),
      { numRuns: runs(500) },
    );
  });
});

// ─── value readers ───────────────────────────────────────────────────────────

describe("value readers", () => {
  it("never throw on any value, and give strings where they promise strings", () => {
    fc.assert(
      fc.property(anything, (v) => {
        expect(Array.isArray(asArray(v))).toBe(true);
        for (const id of idsOf(v)) expect(typeof id === "string" && id.length > 0).toBe(true);
        for (const r of [idOf(v), hrefOf(v), stringOf(v)]) expect(r === undefined || (typeof r === "string" && r.length > 0)).toBe(true);
        for (const t of typesOf(v)) expect(typeof t).toBe("string");
        expect(typeof hasType(v, "Note")).toBe("boolean");
        expect(typeof isHttpUrl(v)).toBe("boolean");
      }),
      { numRuns: runs(500) },
    );
  });
});
