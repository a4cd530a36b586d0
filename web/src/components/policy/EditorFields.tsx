/**
 * The policy editor's controls. Each is bound to a path in the draft document
 * and shows the problems found there, by the client-side check (the server's
 * own zod schema) or by the server.
 */
import { type ReactNode, useEffect, useId, useState } from 'react';
import type { Policy } from '../../../../src/domain/priority/policy.js';
import { Field } from '../../components.js';
import { type FieldProblems, getIn, parseNumber } from '../../policy/format.js';

export type Key = string | number;

export interface Ed {
  draft: Policy;
  set(path: readonly Key[], value: unknown): void;
  problems: FieldProblems;
}

const shown = (v: number | null) => (v === null || Number.isNaN(v) ? '' : String(v));
const keyOf = (path: readonly Key[]) => path.join('.');
const errorsAt = (ed: Ed, path: readonly Key[]) => ed.problems[keyOf(path)];

/** A number typed as text, so that a half-typed or blank value stays on screen (NaN in the draft) until it is fixed. */
export function Num({ ed, path, label, step = 1, hint, nullable }: { ed: Ed; path: readonly Key[]; label: string; step?: number; hint?: ReactNode; nullable?: string }) {
  const value = getIn(ed.draft, path) as number | null;
  const [text, setText] = useState(shown(value));
  useEffect(() => {
    // Follow outside changes (reset, another version) without fighting the field's own typing.
    setText((t) => (parseNumber(t) === value || (value !== null && Number.isNaN(value) && Number.isNaN(parseNumber(t))) ? t : shown(value)));
  }, [value]);
  return (
    <Field label={label} error={errorsAt(ed, path)} hint={hint}>
      {(a) => (
        <>
          <input
            {...a}
            type="number"
            inputMode="decimal"
            step={step}
            value={text}
            disabled={nullable !== undefined && value === null}
            onChange={(e) => {
              setText(e.target.value);
              ed.set(path, parseNumber(e.target.value));
            }}
          />
          {nullable !== undefined && (
            <label className="checkbox small">
              <input type="checkbox" checked={value === null} onChange={(e) => ed.set(path, e.target.checked ? null : parseNumber(text))} /> {nullable}
            </label>
          )}
        </>
      )}
    </Field>
  );
}

export function Text({ ed, path, label, maxLength }: { ed: Ed; path: readonly Key[]; label: string; maxLength: number }) {
  return (
    <Field label={label} error={errorsAt(ed, path)}>
      {(a) => <input {...a} value={String(getIn(ed.draft, path) ?? '')} maxLength={maxLength} onChange={(e) => ed.set(path, e.target.value)} />}
    </Field>
  );
}

export function Choice({ ed, path, label, options }: { ed: Ed; path: readonly Key[]; label: string; options: readonly (readonly [string, string])[] }) {
  return (
    <Field label={label} error={errorsAt(ed, path)}>
      {(a) => (
        <select {...a} value={String(getIn(ed.draft, path) ?? '')} onChange={(e) => ed.set(path, e.target.value)}>
          {options.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function Check({ ed, path, label }: { ed: Ed; path: readonly Key[]; label: string }) {
  const errors = errorsAt(ed, path);
  return (
    <div className="field">
      <label className="checkbox">
        <input type="checkbox" checked={getIn(ed.draft, path) === true} onChange={(e) => ed.set(path, e.target.checked)} /> {label}
      </label>
      {errors?.length ? <span className="field-error">{errors.join('; ')}</span> : null}
    </div>
  );
}

/** A set of values as checkboxes, kept in the options' order. */
export function Several({ ed, path, legend, options }: { ed: Ed; path: readonly Key[]; legend: string; options: readonly (readonly [string, string])[] }) {
  const id = useId();
  const chosen = new Set((getIn(ed.draft, path) as string[] | undefined) ?? []);
  const errors = errorsAt(ed, path);
  const toggle = (v: string, on: boolean) => ed.set(path, options.map(([o]) => o).filter((o) => (o === v ? on : chosen.has(o))));
  return (
    <fieldset className="checks" aria-describedby={errors?.length ? `${id}-err` : undefined}>
      <legend>{legend}</legend>
      {options.map(([v, l]) => (
        <label key={v} className="checkbox">
          <input type="checkbox" checked={chosen.has(v)} onChange={(e) => toggle(v, e.target.checked)} /> {l}
        </label>
      ))}
      {errors?.length ? (
        <span className="field-error" id={`${id}-err`}>
          {errors.join('; ')}
        </span>
      ) : null}
    </fieldset>
  );
}

/** EPSS thresholds: "from this value, this effect", highest first; add and remove rows. */
export function Thresholds({ ed, path, legend }: { ed: Ed; path: readonly Key[]; legend: string }) {
  const rows = (getIn(ed.draft, path) as { min: number; effect: number }[] | undefined) ?? [];
  const errors = errorsAt(ed, path);
  return (
    <fieldset>
      <legend>{legend}</legend>
      {rows.map((_, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows are positions in an ordered list
        <div className="inline" key={i}>
          <Num ed={ed} path={[...path, i, 'min']} label={`Threshold ${i + 1}: from (0–1)`} step={0.01} />
          <Num ed={ed} path={[...path, i, 'effect']} label={`Threshold ${i + 1}: effect`} step={0.1} />
          <button type="button" className="link-button" onClick={() => ed.set(path, rows.filter((__, j) => j !== i))}>
            Remove threshold {i + 1}
          </button>
        </div>
      ))}
      {errors?.length ? <p className="field-error">{errors.join('; ')}</p> : null}
      {rows.length < 10 && (
        <p>
          <button type="button" onClick={() => ed.set(path, [...rows, { min: 0, effect: 0 }])}>
            Add threshold
          </button>
        </p>
      )}
    </fieldset>
  );
}
