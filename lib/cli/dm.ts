import { parseArgs } from "node:util";
import { listConversations, showConversation } from "../domain/conversations";
import { LookupError } from "../federation/lookup";
import { deleteDirectMessage, editDirectMessage, sendDirectMessage } from "../domain/direct-messages";
import { SendError } from "../domain/sending";
import { CliError } from "./errors";
import { printJson } from "./output";

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof SendError || err instanceof LookupError) throw new CliError(err.message);
    throw err;
  }
}

export async function dmCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case "send": {
      const { values, positionals } = parseArgs({
        args: rest,
        options: { text: { type: "string" }, conversation: { type: "string" }, "content-warning": { type: "string" }, json: { type: "boolean", default: false } },
        allowPositionals: true,
        strict: true,
      });
      if (values.text === undefined) throw new CliError('Missing --text "…".');
      if (values.conversation && positionals.length > 0)
        throw new CliError("Give either recipients or --conversation (a reply goes to the conversation's people), not both.");
      if (!values.conversation && positionals.length === 0) throw new CliError("Name at least one recipient (@user@host or an actor URL).");
      const sent = await guarded(() =>
        sendDirectMessage(
          values.conversation
            ? { conversationId: values.conversation, text: values.text!, summary: values["content-warning"] }
            : { to: positionals, text: values.text!, summary: values["content-warning"] },
        ),
      );
      if (values.json) printJson(sent);
      else console.log(`Queued message ${sent.messageId} in conversation ${sent.conversationId} for ${sent.recipients.length} recipient(s).`);
      return;
    }
    case "list": {
      const { values } = parseArgs({ args: rest, options: { json: { type: "boolean", default: false } }, strict: true });
      const list = await listConversations();
      if (values.json) return printJson(list);
      if (list.conversations.length === 0) return console.log("No conversations yet.");
      for (const c of list.conversations) {
        const who = c.participants.map((p) => p.handle ?? p.actor).join(", ");
        console.log(`${c.id}  ${c.lastMessageAt}  ${c.unread ? `(${c.unread} unread) ` : ""}${who}: ${c.preview.replace(/\s+/g, " ").slice(0, 60)}`);
      }
      return;
    }
    case "show": {
      const { values, positionals } = parseArgs({ args: rest, options: { json: { type: "boolean", default: false } }, allowPositionals: true, strict: true });
      if (positionals.length !== 1) throw new CliError("Usage: moiety dm show CONVERSATION [--json]");
      const conv = await showConversation(positionals[0]);
      if (!conv) throw new CliError(`No conversation ${positionals[0]}.`);
      if (values.json) return printJson(conv);
      console.log(`Conversation ${conv.id} with ${conv.participants.map((p) => p.handle ?? p.actor).join(", ")}`);
      for (const m of conv.messages) {
        const state = m.deliveries.length ? `  [${m.deliveries.map((d) => d.state).join(", ")}]` : "";
        const body = m.deleted ? "(deleted)" : m.text;
        console.log(`${m.published} ${m.direction === "out" ? "you" : m.author}${m.updated ? " (edited)" : ""}: ${body}${state}`);
      }
      return;
    }
    case "edit": {
      const { values, positionals } = parseArgs({ args: rest, options: { text: { type: "string" } }, allowPositionals: true, strict: true });
      if (positionals.length !== 1 || values.text === undefined) throw new CliError('Usage: moiety dm edit MESSAGE --text "…"');
      await guarded(() => editDirectMessage(positionals[0], values.text!));
      console.log(`Edited message ${positionals[0]}; the update is queued.`);
      return;
    }
    case "delete": {
      const { positionals } = parseArgs({ args: rest, options: {}, allowPositionals: true, strict: true });
      if (positionals.length !== 1) throw new CliError("Usage: moiety dm delete MESSAGE");
      await guarded(() => deleteDirectMessage(positionals[0]));
      console.log(`Deleted message ${positionals[0]}; the deletion is queued.`);
      return;
    }
    default:
      throw new CliError(`Unknown dm command "${sub ?? ""}". Use send, list, show, edit or delete.`);
  }
}
