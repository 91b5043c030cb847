/**
 * Inputs of the structured definition editor: each is named by its path in the definition
 * (definition-editor-form.ts decodes them on the server) and shows the checker's messages for
 * that path beside it, wired to the input for screen readers.
 */
import { createContext, useContext, type ReactNode } from 'react';
import { inputId, inputName, type Suffix } from './definition-editor-form.ts';

/** Problems by path ("readerForm.fields.0.key" → messages). */
export const EditorErrors = createContext<Record<string, string[]>>({});

export const obj = (x: unknown): Record<string, unknown> => (x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : {});
export const arr = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);
export const str = (x: unknown): string => (typeof x === 'string' ? x : typeof x === 'number' ? String(x) : '');

function useErrors(path: string) {
  return useContext(EditorErrors)[path] ?? [];
}

function Messages({ id, messages }: { id: string; messages: string[] }) {
  if (!messages.length) return null;
  return (
    <div id={id} className="field-error">
      {messages.join(' · ')}
    </div>
  );
}

/** A row's own problems (e.g. a list too short), shown at the row. */
export function RowErrors({ path }: { path: string }) {
  return <Messages id={`${inputId(path)}-err`} messages={useErrors(path)} />;
}

export function Txt(props: { path: string; label: string; value: unknown; suffix?: Suffix; hint?: ReactNode; type?: 'text' | 'number'; area?: boolean; className?: string }) {
  const id = inputId(props.path);
  const messages = useErrors(props.path);
  const describedBy = [props.hint ? `${id}-hint` : null, messages.length ? `${id}-err` : null].filter(Boolean).join(' ') || undefined;
  const common = { id, name: inputName(props.path, props.suffix), 'aria-invalid': messages.length > 0, 'aria-describedby': describedBy };
  return (
    <div className={`de-input ${props.className ?? ''}`}>
      <label htmlFor={id}>{props.label}</label>
      {props.area ? (
        <textarea {...common} rows={2} defaultValue={str(props.value)} />
      ) : (
        <input {...common} type="text" inputMode={props.type === 'number' ? 'decimal' : undefined} defaultValue={str(props.value)} />
      )}
      {props.hint ? (
        <div id={`${id}-hint`} className="hint">
          {props.hint}
        </div>
      ) : null}
      <Messages id={`${id}-err`} messages={messages} />
    </div>
  );
}

export function Check(props: { path: string; label: string; checked: unknown; hint?: string }) {
  const id = inputId(props.path);
  const messages = useErrors(props.path);
  return (
    <div className="de-check">
      <input type="hidden" name={inputName(props.path, 'b')} value="false" />
      <input
        type="checkbox"
        id={id}
        name={inputName(props.path, 'b')}
        value="true"
        defaultChecked={props.checked === true}
        aria-describedby={[props.hint ? `${id}-hint` : null, messages.length ? `${id}-err` : null].filter(Boolean).join(' ') || undefined}
      />
      <label htmlFor={id}>{props.label}</label>
      {props.hint ? (
        <span id={`${id}-hint`} className="hint">
          {' '}
          {props.hint}
        </span>
      ) : null}
      <Messages id={`${id}-err`} messages={messages} />
    </div>
  );
}

export function Pick(props: { path: string; label: string; value: unknown; options: readonly (readonly [string, string])[]; suffix?: Suffix; name?: string }) {
  const id = inputId(props.path);
  const messages = useErrors(props.path);
  const value = str(props.value);
  const known = props.options.some(([v]) => v === value);
  return (
    <div className="de-input">
      <label htmlFor={id}>{props.label}</label>
      <select
        id={id}
        name={props.name ?? inputName(props.path, props.suffix)}
        defaultValue={value}
        aria-invalid={messages.length > 0}
        aria-describedby={messages.length ? `${id}-err` : undefined}
      >
        {known || value === '' ? null : <option value={value}>{value} (unknown)</option>}
        {props.options.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
      <Messages id={`${id}-err`} messages={messages} />
    </div>
  );
}

/** A row operation: a submit button the server applies (add, remove, move). */
export function Op({ op, children, label, disabled }: { op: string; children: ReactNode; label?: string; disabled?: boolean }) {
  return (
    <button type="submit" name="op" value={op} className="secondary de-op" aria-label={label} disabled={disabled} formNoValidate>
      {children}
    </button>
  );
}

/** Up, down and remove for row `index` of the list at `listPath`. */
export function RowOps({ listPath, index, count, noun }: { listPath: string; index: number; count: number; noun: string }) {
  const path = `${listPath}.${index}`;
  return (
    <span className="de-rowops">
      <Op op={`up|${path}`} label={`Move ${noun} up`} disabled={index === 0}>
        ↑
      </Op>
      <Op op={`down|${path}`} label={`Move ${noun} down`} disabled={index === count - 1}>
        ↓
      </Op>
      <Op op={`remove|${path}`} label={`Remove ${noun}`}>
        Remove
      </Op>
    </span>
  );
}

/** Marks a list as present even when empty, so removing its last row is kept. */
export function ListMarker({ path }: { path: string }) {
  return <input type="hidden" name={inputName(path, 'a')} value="" />;
}
