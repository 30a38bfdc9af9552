import type { FieldErrors } from "./domain/validation";

// What every server action answers (app/**/actions.ts and the other
// "use server" files), and what their client components read: a refusal is
// an answer in plain words, never a thrown error, which Next would turn into
// a generic failure in production. Imported by client components too, so it
// holds no server code.

export type ActionFailure = {
  ok: false;
  /** The sentence to show; when `fields` is set, the form-level one or else the first field's. */
  error: string;
  /** Forms that mark their inputs: a sentence per input at fault (`form` for none in particular). */
  fields?: FieldErrors;
};

/** Success; an action with nothing to tell answers just `{ ok: true }`. */
export type ActionSuccess<T> = [T] extends [undefined] ? { ok: true; value?: undefined } : { ok: true; value: T };

export type ActionResult<T = undefined> = ActionSuccess<T> | ActionFailure;

/** Any action's result, for code that only needs to know whether it worked (components/use-action.ts). */
export type SomeActionResult = { ok: true; value?: unknown } | ActionFailure;

export function ok(): ActionResult;
export function ok<T>(value: T): ActionResult<T>;
export function ok<T>(...value: [T?]): ActionResult<T> {
  // No `value: undefined` key: React's action encoding would send it as "$undefined".
  return (value.length === 0 ? { ok: true } : { ok: true, value: value[0] }) as ActionResult<T>;
}

export function fail(error: string): ActionFailure {
  return { ok: false, error };
}

/** A refusal that names the inputs at fault, each with its sentence. */
export function failFields(fields: FieldErrors): ActionFailure {
  return { ok: false, error: fields.form ?? Object.values(fields)[0] ?? "Check the form.", fields };
}

/** What a form shows: a sentence beside each input at fault, or (`form`) one above it. */
export function formErrors(failure: ActionFailure): FieldErrors {
  return failure.fields ?? { form: failure.error };
}
