// What every surface of the server shows for an end-to-end encrypted message
// (docs/E2EE.md): the server holds only ciphertext, so the thread, the
// conversation list, the Mastodon API, push and exports show this instead.
// The browser that holds the keys replaces it with the decrypted text.

export const ENCRYPTED_TEXT = "This message is end-to-end encrypted. Open Moiety in a browser that holds your keys to read it.";
export const ENCRYPTED_HTML = `<p>${ENCRYPTED_TEXT}</p>`;

/** A message's text for a preview or a notification: the placeholder for an encrypted one (its stored text is empty). */
export function shownText(m: { text: string; encrypted?: boolean | number | bigint | null }): string {
  return m.encrypted ? ENCRYPTED_TEXT : m.text;
}

/** The conversation list's preview of an encrypted message: the row is too narrow for the whole sentence. */
export const ENCRYPTED_PREVIEW = "Encrypted message";
