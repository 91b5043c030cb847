import type { ReactNode } from 'react';
import type { FieldErrors } from '~/lib/forms.ts';

/** A labelled input with its error message wired up for screen readers. */
export function Field(props: {
  name: string;
  label: string;
  errors?: FieldErrors | null;
  hint?: ReactNode;
  children: (a: { id: string; 'aria-invalid': boolean; 'aria-describedby'?: string }) => ReactNode;
}) {
  const id = `f-${props.name}`;
  const err = props.errors?.[props.name]?.[0];
  const describedBy = [props.hint ? `${id}-hint` : null, err ? `${id}-err` : null].filter(Boolean).join(' ') || undefined;
  return (
    <div>
      <label htmlFor={id}>{props.label}</label>
      {props.children({ id, 'aria-invalid': Boolean(err), 'aria-describedby': describedBy })}
      {props.hint ? (
        <div id={`${id}-hint`} className="hint">
          {props.hint}
        </div>
      ) : null}
      {err ? (
        <div id={`${id}-err`} className="field-error">
          {err}
        </div>
      ) : null}
    </div>
  );
}

export function FormErrors({ errors }: { errors?: FieldErrors | null }) {
  const msg = errors?._form?.[0];
  return msg ? (
    <div className="flash flash-error" role="alert">
      {msg}
    </div>
  ) : null;
}
