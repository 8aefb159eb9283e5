import { useId, type FormEvent, type ReactNode } from 'react';
import { BUILTIN_MODEL, LIMITS, TRANSLATION_TOOL, type Tool } from '../../api/create';
import { useLocale, useT } from '../../i18n';
import { languagePlaceholder, parseKeywords, toolCostLabel, toolDescription, toolName, type WritingField, type WritingForm as Form } from '../../lib/create';
import { formatCount } from '../../lib/format';
import { isSendShortcut } from '../../lib/keyboard';
import type { FieldErrors } from '../../lib/validation';
import { useModelLabel } from './ModelName';

interface Props {
  tool: Tool;
  form: Form;
  onChange: (field: WritingField, value: string) => void;
  /** Generate (the button, or Ctrl/Cmd+Enter anywhere in the form). */
  onSubmit: () => void;
  /** Messages by field: the form's own checks and the server's 422. */
  errors?: FieldErrors;
  /** A generation is under way. */
  busy: boolean;
  /** The person may not generate (a viewer of the workspace). */
  disabled?: boolean;
  /** The spendable credits, when known. */
  available?: number | null | undefined;
}

/**
 * What a writing tool is asked for: the title (required), keywords (comma-separated), the
 * requirements, the text to work on (only for a tool that takes one: rewriting, translation) and
 * the language; and, before anything is sent, the most it may cost.
 */
export function WritingForm({ tool, form, onChange, onSubmit, errors = {}, busy, disabled = false, available }: Props) {
  const t = useT();
  const locale = useLocale();
  const id = useId();
  const keywords = parseKeywords(form.keywords);
  const modelLabel = useModelLabel(tool.model);

  function submit(e: FormEvent) {
    e.preventDefault();
    if (!busy && !disabled) onSubmit();
  }

  /** A field's label, input and message; the input marks itself invalid when the field has an error. */
  function field(name: WritingField, label: string, input: (props: FieldProps) => ReactNode, opts: { optional?: boolean; hint?: ReactNode } = {}) {
    const error = errors[name];
    const inputId = `${id}-${name}`;
    return (
      <div className="form-field" data-testid={`create-field-${name}`}>
        <label htmlFor={inputId}>
          {label}
          {opts.optional ? <span className="optional">{t('create.form.optional')}</span> : <span className="required" aria-hidden="true"> *</span>}
        </label>
        {input({
          id: inputId,
          'data-field': name,
          'data-testid': `create-${name}`,
          'aria-invalid': error ? true : undefined,
          'aria-describedby': error ? `${inputId}-error` : undefined,
          invalid: !!error,
        })}
        {opts.hint}
        {error && (
          <p className="field-error" id={`${inputId}-error`} data-testid={`create-${name}-error`}>
            {error}
          </p>
        )}
      </div>
    );
  }

  const offline = tool.credits_cost <= 0;
  const short = available !== null && available !== undefined && !offline && available < tool.credits_cost;

  return (
    <form
      className="form writing-form"
      onSubmit={submit}
      noValidate
      data-testid="writing-form"
      data-tool={tool.type}
      onKeyDown={(e) => {
        if (!isSendShortcut(e) || e.repeat) return;
        e.preventDefault();
        if (!busy && !disabled) onSubmit();
      }}
    >
      <header className="writing-form-head">
        <h2 data-testid="writing-form-title">{toolName(tool, locale)}</h2>
        <p className="muted">{toolDescription(tool, locale)}</p>
      </header>
      {field('title', t('create.form.title'), (p) => (
        <input
          {...inputProps(p)}
          className={`input${p.invalid ? ' invalid' : ''}`}
          value={form.title}
          maxLength={LIMITS.title}
          placeholder={t('create.form.titlePlaceholder')}
          onChange={(e) => onChange('title', e.target.value)}
        />
      ))}
      {tool.needs_content &&
        field('content', tool.type === TRANSLATION_TOOL ? t('create.form.contentToTranslate') : t('create.form.content'), (p) => (
          <textarea
            {...inputProps(p)}
            className={`input textarea writing-content${p.invalid ? ' invalid' : ''}`}
            rows={8}
            value={form.content}
            maxLength={LIMITS.content}
            placeholder={t('create.form.contentPlaceholder')}
            onChange={(e) => onChange('content', e.target.value)}
          />
        ))}
      {field(
        'keywords',
        t('create.form.keywords'),
        (p) => (
          <input
            {...inputProps(p)}
            className={`input${p.invalid ? ' invalid' : ''}`}
            value={form.keywords}
            placeholder={t('create.form.keywordsPlaceholder')}
            onChange={(e) => onChange('keywords', e.target.value)}
          />
        ),
        {
          optional: true,
          hint:
            keywords.length > 0 ? (
              <div className="keyword-chips" data-testid="keyword-chips">
                {keywords.map((k) => (
                  <span key={k} className="chip" data-testid="keyword-chip">
                    {k}
                  </span>
                ))}
                <span className={`muted create-hint${keywords.length > LIMITS.keywords ? ' writing-short' : ''}`}>
                  {t('create.form.keywordCount', { count: keywords.length, max: LIMITS.keywords })}
                </span>
              </div>
            ) : (
              <p className="muted create-hint">{t('create.form.keywordsHint', { max: LIMITS.keywords })}</p>
            ),
        },
      )}
      {field(
        'requirements',
        t('create.form.requirements'),
        (p) => (
          <textarea
            {...inputProps(p)}
            className={`input textarea${p.invalid ? ' invalid' : ''}`}
            rows={3}
            value={form.requirements}
            maxLength={LIMITS.requirements}
            placeholder={t('create.form.requirementsPlaceholder')}
            onChange={(e) => onChange('requirements', e.target.value)}
          />
        ),
        { optional: true },
      )}
      {field(
        'language',
        tool.type === TRANSLATION_TOOL ? t('create.form.targetLanguage') : t('create.form.language'),
        (p) => (
          <input
            {...inputProps(p)}
            className={`input writing-language${p.invalid ? ' invalid' : ''}`}
            value={form.language}
            maxLength={LIMITS.language}
            placeholder={languagePlaceholder(tool.type)}
            onChange={(e) => onChange('language', e.target.value)}
          />
        ),
        { optional: true },
      )}
      <div className="writing-cost" data-testid="writing-cost">
        <span className={`chip tool-card-cost${offline ? ' free' : ''}`} data-testid="writing-cost-chip">
          {toolCostLabel(tool)}
        </span>
        <span className="muted">
          {offline
            ? tool.model === BUILTIN_MODEL
              ? t('create.cost.offlineNote')
              : t('create.cost.freeNote')
            : t('create.cost.note', { model: modelLabel })}
        </span>
        {available !== null && available !== undefined && !offline && (
          <span className={short ? 'writing-short' : 'muted'} data-testid="writing-available">
            {t('create.cost.available', { credits: formatCount('credit', available) })}
            {short && <> {t('create.cost.notEnough')}</>}
          </span>
        )}
      </div>
      <div className="writing-actions">
        <button type="submit" className="button primary" disabled={busy || disabled} data-testid="create-generate">
          {busy && <span className="spinner spinner-sm" aria-hidden="true" />}
          {busy ? t('create.form.generating') : t('create.form.generate')}
          {!busy && (
            <kbd className="kbd-hint" aria-hidden="true">
              {t('create.form.shortcut')}
            </kbd>
          )}
        </button>
      </div>
    </form>
  );
}

interface FieldProps {
  id: string;
  'data-field': string;
  'data-testid': string;
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
  invalid: boolean;
}

/** The props an input takes (without the `invalid` flag, which becomes its class). */
function inputProps({ invalid: _invalid, ...rest }: FieldProps) {
  return rest;
}
