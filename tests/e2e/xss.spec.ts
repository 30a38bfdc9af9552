import { expect, test } from "@playwright/test";
import { Peer, waitForInboxIdle, type PeerActor } from "../helpers/peer";
import { startInstance, type Instance } from "../helpers/instances";
import { logIn } from "./browser";

// Known XSS vectors arrive as real, signed DMs from a remote actor. Stored
// HTML must hold none of them, and rendering them in Chromium must run
// nothing: no dialog, no navigation, no CSP report.

const VECTORS = [
  "<script>alert(1)</script>",
  '<img src=x onerror="alert(2)">',
  '<svg onload="alert(3)"><circle r="1"/></svg>',
  '<a href="javascript:alert(4)">click</a>',
  '<a href="JaVaScRiPt&colon;alert(5)">click</a>',
  '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCg2KTwvc2NyaXB0Pg==">data</a>',
  '<a href="vbscript:msgbox(7)">vb</a>',
  '<p style="background:url(javascript:alert(8))">styled</p>',
  '<iframe src="javascript:alert(9)"></iframe>',
  '<object data="javascript:alert(10)"></object>',
  '<embed src="javascript:alert(11)">',
  '<form action="javascript:alert(12)"><button>go</button></form>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(13)></style></mglyph></table></mtext></math>',
  '<p>broken <b onmouseover="alert(14)">markup',
  '<<script>alert(15)//<</script>',
  '<details open ontoggle="alert(16)">x</details>',
  '<input autofocus onfocus="alert(17)">',
  '<body onload="alert(18)">',
  '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(19)">entity</a>',
  '<style>*{display:none}</style><p>styled away</p>',
  '<meta http-equiv="refresh" content="0;url=javascript:alert(20)">',
  '<base href="javascript:alert(21)//">',
  '<video><source onerror="alert(22)"></video>',
  '<span class="mention" onclick="alert(23)">@x</span>',
];

let dave: Instance;
let peer: Peer;
let mallory: PeerActor;

test.beforeAll(async () => {
  peer = await Peer.start();
  [dave, mallory] = await Promise.all([startInstance("dave"), peer.addActor("mallory")]);
});
test.afterAll(async () => {
  await Promise.all([dave?.stop(), peer?.close()]);
});

test("XSS vectors in signed DMs are stored harmless and run nothing in the browser", async ({ page }) => {
  for (const [i, vector] of VECTORS.entries()) {
    const note = {
      id: `${mallory.id}/notes/xss-${i}`,
      type: "Note",
      attributedTo: mallory.id,
      to: [dave.actor],
      cc: [],
      content: `<p>vector ${i}</p>${vector}`,
      published: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
      tag: [{ type: "Mention", href: dave.actor, name: "@dave" }],
    };
    const res = await peer.post(
      `${dave.actor}/inbox`,
      { "@context": "https://www.w3.org/ns/activitystreams", id: `${note.id}/activity`, type: "Create", actor: mallory.id, to: [dave.actor], cc: [], object: note },
      mallory,
    );
    expect(res.status, vector).toBe(202);
  }
  await waitForInboxIdle(dave.dataDir);

  const list = await dave.json(["dm", "list"]);
  expect(list.conversations).toHaveLength(1);
  const shown = await dave.json(["dm", "show", list.conversations[0].id]);
  expect(shown.messages).toHaveLength(VECTORS.length);
  for (const m of shown.messages) {
    expect(m.html).not.toMatch(/<script|<iframe|<object|<embed|<svg|<style|<meta|<base|<form|<input|<math/i);
    expect(m.html).not.toMatch(/\son\w+=/i);
    expect(m.html).not.toMatch(/javascript:|vbscript:|data:/i);
    expect(m.html).not.toMatch(/style=/i);
  }

  const dialogs: string[] = [];
  const csp: string[] = [];
  page.on("dialog", async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) csp.push(m.text());
  });
  await logIn(page, dave);
  await page.goto(`${dave.url}/messages/${list.conversations[0].id}`);
  const thread = page.getByRole("log", { name: "Messages" });
  await expect(thread.getByText(`vector ${VECTORS.length - 1}`)).toBeVisible();
  // Hover and click everything that survived, as a curious reader would.
  for (const link of await thread.locator("a, b, span, details, button").all()) {
    await link.hover().catch(() => undefined);
  }
  await page.waitForTimeout(500);
  expect(dialogs).toEqual([]);
  expect(csp).toEqual([]);
  await expect(page).toHaveURL(new RegExp(`/messages/${list.conversations[0].id}$`));
});
