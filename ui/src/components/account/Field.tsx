import type { InputHTMLAttributes } from 'react';

interface Props extends InputHTMLAttributes<HTMLInputElement> {
  /** The form field's name: the input's data-field and test id `<name>-input`, error `field-error-<name>`. */
  name: string;
  label: string;
  error?: string | undefined;
  hint?: string;
  idPrefix: string;
}

/** A labelled input with its error right below it. */
export function Field({ name, label, error, hint, idPrefix, className, ...rest }: Props) {
  const id = `${idPrefix}-${name}`;
  return (
    <div className="form-field">
      <label htmlFor={id}>
        {label}
        {hint && <span className="optional"> {hint}</span>}
      </label>
      <input
        id={id}
        name={name}
        className={`input${error ? ' invalid' : ''}${className ? ` ${className}` : ''}`}
        data-field={name}
        data-testid={`${name}-input`}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        {...rest}
      />
      {error && (
        <p className="field-error" id={`${id}-error`} data-testid={`field-error-${name}`}>
          {error}
        </p>
      )}
    </div>
  );
}
