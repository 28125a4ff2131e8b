/** Small labelled form fields. Number fields keep the text being typed and commit only valid numbers. */
import { type ReactNode, useEffect, useId, useState } from 'react';

export function Field({ label, hint, children }: { label: string; hint?: string; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
      {hint && <small className="hint">{hint}</small>}
    </div>
  );
}

export function Select<T extends string | number>({
  label,
  value,
  options,
  onChange,
  hint,
  disabled,
  name,
}: {
  label: string;
  value: T;
  options: ReadonlyArray<T | { value: T; label: string }>;
  onChange: (v: T) => void;
  hint?: string;
  disabled?: boolean;
  name?: string;
}) {
  const opts = options.map((o) => (typeof o === 'object' ? o : { value: o, label: String(o) }));
  return (
    <Field label={label} hint={hint}>
      {(id) => (
        <select
          id={id}
          name={name}
          value={String(value)}
          disabled={disabled}
          onChange={(e) => {
            const o = opts.find((x) => String(x.value) === e.target.value);
            if (o) onChange(o.value);
          }}
        >
          {opts.map((o) => (
            <option key={String(o.value)} value={String(o.value)}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function NumberField({
  label,
  value,
  onChange,
  min,
  max,
  step,
  integer,
  hint,
  name,
}: {
  label: string;
  value: number;
  onChange: (v: number) => void;
  min?: number;
  max?: number;
  step?: number | 'any';
  integer?: boolean;
  hint?: string;
  name?: string;
}) {
  const [text, setText] = useState(String(value));
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    setText((t) => (Number(t) === value ? t : String(value)));
    setProblem(null);
  }, [value]);
  const check = (t: string): string | null => {
    const v = Number(t);
    if (t.trim() === '' || !Number.isFinite(v)) return 'enter a number';
    if (integer && !Number.isInteger(v)) return 'enter a whole number';
    if (min !== undefined && v < min) return `at least ${min}`;
    if (max !== undefined && v > max) return `at most ${max}`;
    return null;
  };
  return (
    <Field label={label} hint={problem ?? hint}>
      {(id) => (
        <input
          id={id}
          name={name}
          type="number"
          inputMode="decimal"
          value={text}
          min={min}
          max={max}
          step={step ?? (integer ? 1 : 'any')}
          aria-invalid={problem !== null}
          onChange={(e) => {
            setText(e.target.value);
            const p = check(e.target.value);
            setProblem(p);
            if (!p) onChange(Number(e.target.value));
          }}
          onBlur={() => {
            if (check(text)) {
              setText(String(value));
              setProblem(null);
            }
          }}
        />
      )}
    </Field>
  );
}
