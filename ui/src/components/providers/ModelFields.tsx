import { MODEL_KINDS, type Adapter, type ModelKind } from '../../api/types';
import { ADAPTER_KINDS, KIND_LABELS, UNIT_FOR_KIND, unitLabel, type ModelForm } from '../../lib/providers';
import { t, useLocale } from '../../i18n';
import type { FieldErrors } from '../../lib/validation';
import { Field } from '../account/Field';

/** The component's strings, in one place for a later translation pass. */
/** The screen's strings (src/locales, `modelFields.*`), read in the active language. */
const S = {
  get kind() {
    return t('modelFields.kind');
  },
  get modelName() {
    return t('modelFields.modelName');
  },
  get modelNameHint() {
    return t('modelFields.modelNameHint');
  },
  get modelNamePlaceholder() {
    return t('modelFields.modelNamePlaceholder');
  },
  get displayName() {
    return t('modelFields.displayName');
  },
  get displayNameHint() {
    return t('modelFields.displayNameHint');
  },
  get input() {
    return t('modelFields.input');
  },
  get output() {
    return t('modelFields.output');
  },
  get price() {
    return t('modelFields.price');
  },
  credits: (unit: string) => t('modelFields.credits', { unit }),
  get workflow() {
    return t('modelFields.workflow');
  },
  get workflowHint() {
    return t('modelFields.workflowHint');
  },
  get promptNode() {
    return t('modelFields.promptNode');
  },
  get seedNode() {
    return t('modelFields.seedNode');
  },
  get imageNode() {
    return t('modelFields.imageNode');
  },
  get optional() {
    return t('modelFields.optional');
  },
  get nodesNote() {
    return t('modelFields.nodesNote');
  },
};

interface Props {
  form: ModelForm;
  onChange: (patch: Partial<ModelForm>) => void;
  errors: FieldErrors;
  adapter: Adapter;
  /** The kind can't change once the model exists. */
  kindEditable: boolean;
  idPrefix: string;
}

/** A model's fields: kind, model name, display name, prices with their unit, and ComfyUI's workflow. */
export function ModelFields({ form, onChange, errors, adapter, kindEditable, idPrefix }: Props) {
  useLocale(); // re-render on a language switch: S reads the active language
  const unit = unitLabel(UNIT_FOR_KIND[form.kind]);
  const kinds = MODEL_KINDS.filter((k) => ADAPTER_KINDS[adapter].includes(k) || k === form.kind);
  return (
    <>
      <div className="pv-grid">
        <div className="form-field">
          <label htmlFor={`${idPrefix}-kind`}>{S.kind}</label>
          <select
            id={`${idPrefix}-kind`}
            className={`input select${errors.kind ? ' invalid' : ''}`}
            data-field="kind"
            data-testid="model-kind-select"
            value={form.kind}
            disabled={!kindEditable}
            aria-invalid={errors.kind ? true : undefined}
            onChange={(e) => onChange({ kind: e.target.value as ModelKind })}
          >
            {kinds.map((k) => (
              <option key={k} value={k}>
                {KIND_LABELS[k]}
              </option>
            ))}
          </select>
          {errors.kind && (
            <p className="field-error" data-testid="field-error-kind">
              {errors.kind}
            </p>
          )}
        </div>
        <Field
          idPrefix={idPrefix}
          name="model_name"
          label={S.modelName}
          hint={S.modelNameHint}
          placeholder={S.modelNamePlaceholder}
          autoComplete="off"
          spellCheck={false}
          value={form.model_name}
          error={errors.model_name}
          onChange={(e) => onChange({ model_name: e.target.value })}
        />
        <Field
          idPrefix={idPrefix}
          name="model_display_name"
          label={S.displayName}
          hint={S.displayNameHint}
          placeholder={form.model_name || undefined}
          autoComplete="off"
          value={form.name}
          error={errors.model_display_name}
          onChange={(e) => onChange({ name: e.target.value })}
        />
      </div>
      <div className="pv-grid">
        <Field
          idPrefix={idPrefix}
          name="credits_cost"
          label={form.kind === 'llm' ? S.input : S.price}
          hint={S.credits(unit)}
          inputMode="numeric"
          value={form.credits_cost}
          error={errors.credits_cost}
          onChange={(e) => onChange({ credits_cost: e.target.value })}
        />
        {form.kind === 'llm' && (
          <Field
            idPrefix={idPrefix}
            name="output_credits_cost"
            label={S.output}
            hint={S.credits(unit)}
            inputMode="numeric"
            value={form.output_credits_cost}
            error={errors.output_credits_cost}
            onChange={(e) => onChange({ output_credits_cost: e.target.value })}
          />
        )}
      </div>
      {adapter === 'comfyui' && (
        <>
          <div className="form-field">
            <label htmlFor={`${idPrefix}-workflow`}>
              {S.workflow} <span className="optional">{S.workflowHint}</span>
            </label>
            <textarea
              id={`${idPrefix}-workflow`}
              className={`input textarea pv-code${errors.workflow ? ' invalid' : ''}`}
              data-field="workflow"
              data-testid="workflow-input"
              rows={7}
              spellCheck={false}
              value={form.workflow}
              aria-invalid={errors.workflow ? true : undefined}
              aria-describedby={errors.workflow ? `${idPrefix}-workflow-error` : undefined}
              onChange={(e) => onChange({ workflow: e.target.value })}
            />
            {errors.workflow && (
              <p className="field-error" id={`${idPrefix}-workflow-error`} data-testid="field-error-workflow">
                {errors.workflow}
              </p>
            )}
          </div>
          <div className="pv-grid">
            <Field idPrefix={idPrefix} name="prompt_node" label={S.promptNode} value={form.prompt_node} error={errors.prompt_node} onChange={(e) => onChange({ prompt_node: e.target.value })} />
            <Field idPrefix={idPrefix} name="seed_node" label={S.seedNode} hint={S.optional} value={form.seed_node} error={errors.seed_node} onChange={(e) => onChange({ seed_node: e.target.value })} />
            <Field idPrefix={idPrefix} name="image_node" label={S.imageNode} hint={S.optional} value={form.image_node} error={errors.image_node} onChange={(e) => onChange({ image_node: e.target.value })} />
          </div>
          <p className="muted small">{S.nodesNote}</p>
        </>
      )}
    </>
  );
}
