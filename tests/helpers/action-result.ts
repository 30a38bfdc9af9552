// What a server action answers when it marks form fields (lib/action-result.ts,
// failFields): the first field's sentence as `error`, each field's in `fields`.
export function fieldRefusal(fields: Record<string, unknown>) {
  return { ok: false, error: Object.values(fields)[0], fields };
}
