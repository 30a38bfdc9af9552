import { useId } from "react";

type FieldProps = {
  label: string;
  name: string;
  error?: string;
  hint?: React.ReactNode;
  multiline?: boolean;
  /** Classes for the input itself (className styles the wrapper, label included). */
  inputClassName?: string;
} & Omit<React.InputHTMLAttributes<HTMLInputElement> & React.TextareaHTMLAttributes<HTMLTextAreaElement>, "name">;

/** A labelled input with its hint and inline error wired up for screen readers. */
export function Field({ label, name, error, hint, multiline, className, inputClassName = "", ...rest }: FieldProps) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(" ") || undefined;
  const base =
    "block w-full rounded-lg border bg-white px-3 py-2 text-base text-stone-900 shadow-sm placeholder:text-stone-400 " +
    "dark:bg-stone-900 dark:text-stone-100 dark:placeholder:text-stone-500 " +
    (error
      ? "border-red-600 dark:border-red-400"
      : "border-stone-300 focus:border-accent-500 dark:border-stone-700");
  return (
    <div className={className}>
      <label htmlFor={id} className="mb-1 block text-sm font-medium text-stone-800 dark:text-stone-200">
        {label}
      </label>
      {multiline ? (
        <textarea
          id={id}
          name={name}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
          className={`${base} min-h-24 ${inputClassName}`}
          {...(rest as React.TextareaHTMLAttributes<HTMLTextAreaElement>)}
        />
      ) : (
        <input
          id={id}
          name={name}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
          className={`${base} ${inputClassName}`}
          {...(rest as React.InputHTMLAttributes<HTMLInputElement>)}
        />
      )}
      {hint && (
        <p id={hintId} className="mt-1 text-sm text-stone-600 dark:text-stone-400">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} className="mt-1 text-sm font-medium text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
    </div>
  );
}
