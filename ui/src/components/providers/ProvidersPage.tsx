import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useState } from 'react';
import { keys } from '../../api/queries';
import { getAdminConfig, listAllModels, listProviders, MAX_LIMIT, setProviderEnabled, testProvider, updateAdminConfig } from '../../api/providers';
import { STUDIO_MODEL_KINDS, type AdminConfig, type AdminConfigPatch, type Model, type Provider, type StudioModelKind, type ProviderTestResult } from '../../api/types';
import {
  ADAPTER_LABELS,
  KIND_LABELS,
  PRESETS,
  UNIT_FOR_KIND,
  defaultCandidates,
  defaultsErrorKind,
  parseCostCap,
  priceLabel,
  unitLabel,
  type PresetId,
} from '../../lib/providers';
import { t, useLocale } from '../../i18n';
import { formatNumber } from '../../lib/format';
import { errorMessage, isApiError } from '../../transport';
import { AlertIcon, PencilIcon, PlusIcon, TrashIcon } from '../Icons';
import { useToasts } from '../Toasts';
import { DeleteModelDialog, ModelDialog } from './ModelDialog';
import { ProviderDialog } from './ProviderDialog';
import './providers.css';

/** The screen's strings (src/locales, `providersPage.*`), read in the active language. */
const S = {
  get title() {
    return t('providersPage.title');
  },
  get subtitle() {
    return t('providersPage.subtitle');
  },
  get addProvider() {
    return t('providersPage.addProvider');
  },
  get quickAdd() {
    return t('providersPage.quickAdd');
  },
  get loadError() {
    return t('providersPage.loadError');
  },
  get retry() {
    return t('providersPage.retry');
  },
  get defaults() {
    return t('providersPage.defaults');
  },
  get defaultsNote() {
    return t('providersPage.defaultsNote');
  },
  get none() {
    return t('providersPage.none');
  },
  get unavailable() {
    return t('providersPage.unavailable');
  },
  get costCap() {
    return t('providersPage.costCap');
  },
  get costCapHint() {
    return t('providersPage.costCapHint');
  },
  get costCapNote() {
    return t('providersPage.costCapNote');
  },
  get save() {
    return t('providersPage.save');
  },
  get saving() {
    return t('providersPage.saving');
  },
  get saved() {
    return t('providersPage.saved');
  },
  get providers() {
    return t('providersPage.providers');
  },
  get builtin() {
    return t('providersPage.builtin');
  },
  get builtinNote() {
    return t('providersPage.builtinNote');
  },
  get disabled() {
    return t('providersPage.disabled');
  },
  get noKey() {
    return t('providersPage.noKey');
  },
  concurrency: (n: number) => t('providersPage.concurrency', { n }),
  get enabled() {
    return t('providersPage.enabled');
  },
  enable: (name: string) => t('providersPage.enable', { name }),
  get test() {
    return t('providersPage.test');
  },
  get testing() {
    return t('providersPage.testing');
  },
  testOk: (ms: string, model: string) => t('providersPage.testOk', { ms, model }),
  get testFailed() {
    return t('providersPage.testFailed');
  },
  get edit() {
    return t('providersPage.edit');
  },
  get addModel() {
    return t('providersPage.addModel');
  },
  get noModels() {
    return t('providersPage.noModels');
  },
  get colName() {
    return t('providersPage.colName');
  },
  get colModel() {
    return t('providersPage.colModel');
  },
  get colKind() {
    return t('providersPage.colKind');
  },
  get colPrice() {
    return t('providersPage.colPrice');
  },
  get colStatus() {
    return t('providersPage.colStatus');
  },
  get active() {
    return t('providersPage.active');
  },
  get inactive() {
    return t('providersPage.inactive');
  },
  get default() {
    return t('providersPage.default');
  },
  editModel: (name: string) => t('providersPage.editModel', { name }),
  deleteModel: (name: string) => t('providersPage.deleteModel', { name }),
  nowEnabled: (name: string, state: string) => t('providersPage.nowEnabled', { name, state }),
  modelAdded: (name: string) => t('providersPage.modelAdded', { name }),
  modelSaved: (name: string) => t('providersPage.modelSaved', { name }),
  modelDeleted: (name: string) => t('providersPage.modelDeleted', { name }),
  get notAllowed() {
    return t('providersPage.notAllowed');
  },
};

interface Data {
  providers: Provider[];
  models: Model[];
  config: AdminConfig;
}

type Load = { kind: 'loading' } | { kind: 'ready'; data: Data } | { kind: 'error'; message: string; forbidden: boolean };

/** The registry as the page shows it: providers, every model and the defaults, read together. */
const REGISTRY_KEY = [...keys.providers.all, 'registry'] as const;

type TestState = { kind: 'running' } | { kind: 'done'; result: ProviderTestResult } | { kind: 'error'; message: string };

type Dialog =
  | { kind: 'add-provider'; preset: PresetId }
  | { kind: 'edit-provider'; provider: Provider }
  | { kind: 'add-model'; provider: Provider }
  | { kind: 'edit-model'; provider: Provider; model: Model }
  | { kind: 'delete-model'; model: Model };

async function loadAll(signal: AbortSignal): Promise<Data> {
  const [providers, models, config] = await Promise.all([listProviders({ limit: MAX_LIMIT }, signal), listAllModels({}, signal), getAdminConfig(signal)]);
  return { providers: providers.items, models, config };
}

/** Instance administration of the AI registry (docs/API-PROVIDERS.md). */
export function ProvidersPage() {
  useLocale(); // re-render on a language switch: S reads the active language
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const registry = useQuery({ queryKey: REGISTRY_KEY, queryFn: ({ signal }) => loadAll(signal) });
  const load: Load = registry.isError
    ? { kind: 'error', message: errorMessage(registry.error), forbidden: isApiError(registry.error) && registry.error.status === 403 }
    : registry.data
      ? { kind: 'ready', data: registry.data }
      : { kind: 'loading' };
  const setData = (f: (d: Data) => Data) => queryClient.setQueryData<Data>(REGISTRY_KEY, (d) => (d ? f(d) : d));
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [tests, setTests] = useState<Record<string, TestState>>({});
  const [toggling, setToggling] = useState<string | null>(null);
  const reload = useCallback(() => void queryClient.invalidateQueries({ queryKey: keys.providers.all }), [queryClient]);

  const data = load.kind === 'ready' ? load.data : null;

  function replaceProvider(p: Provider) {
    setData((d) => ({ ...d, providers: d.providers.map((x) => (x.id === p.id ? p : x)) }));
  }

  async function toggle(p: Provider, on: boolean) {
    setToggling(p.id);
    // Optimistic: the switch moves at once and goes back if the server refuses.
    replaceProvider({ ...p, enabled: on });
    try {
      replaceProvider(await setProviderEnabled(p.id, on));
      toasts.show({ kind: 'success', message: S.nowEnabled(p.name, on ? t('providersPage.stateEnabled') : t('providersPage.stateDisabled')) });
    } catch (e) {
      replaceProvider(p);
      toasts.show({ kind: 'error', message: errorMessage(e) });
    } finally {
      setToggling(null);
    }
  }

  async function runTest(p: Provider) {
    setTests((t) => ({ ...t, [p.id]: { kind: 'running' } }));
    try {
      const result = await testProvider(p.id);
      setTests((t) => ({ ...t, [p.id]: { kind: 'done', result } }));
    } catch (e) {
      setTests((t) => ({ ...t, [p.id]: { kind: 'error', message: errorMessage(e) } }));
    }
  }

  return (
    <div className="page providers-page" data-testid="providers-page">
      <header className="page-header">
        <div>
          <h1>{S.title}</h1>
          <p className="page-subtitle">{S.subtitle}</p>
        </div>
        <div className="header-actions">
          <button type="button" className="button primary" data-testid="add-provider" onClick={() => setDialog({ kind: 'add-provider', preset: 'custom' })}>
            <PlusIcon />
            {S.addProvider}
          </button>
        </div>
      </header>

      <div className="pv-quick" role="group" aria-label={S.quickAdd}>
        <span className="muted">{S.quickAdd}</span>
        {PRESETS.map((p) => (
          <button
            key={p.id}
            type="button"
            className="button secondary button-sm"
            data-testid={`preset-${p.id}`}
            title={p.hint}
            onClick={() => setDialog({ kind: 'add-provider', preset: p.id })}
          >
            {p.label}
          </button>
        ))}
      </div>

      {load.kind === 'loading' && <span className="spinner" role="status" aria-label={t('common.loading')} />}
      {load.kind === 'error' && (
        <section className="panel">
          <div className="load-error" role="alert" data-testid="providers-error">
            <AlertIcon size={22} />
            <div>
              <h2>{S.loadError}</h2>
              <p>{load.forbidden ? S.notAllowed : load.message}</p>
            </div>
            <button type="button" className="button secondary" onClick={reload}>
              {S.retry}
            </button>
          </div>
        </section>
      )}

      {data && (
        <>
          <DefaultsPanel
            key={JSON.stringify(data.config)}
            data={data}
            onSaved={(config) => {
              toasts.show({ kind: 'success', message: S.saved });
              setData((d) => ({ ...d, config }));
              reload();
            }}
          />

          <h2 className="pv-section-title">{S.providers}</h2>
          <div className="pv-list" data-testid="provider-list">
            {data.providers.map((p) => (
              <ProviderCard
                key={p.id}
                provider={p}
                models={data.models.filter((m) => m.provider_id === p.id)}
                test={tests[p.id]}
                toggling={toggling === p.id}
                onToggle={(on) => void toggle(p, on)}
                onTest={() => void runTest(p)}
                onEdit={() => setDialog({ kind: 'edit-provider', provider: p })}
                onAddModel={() => setDialog({ kind: 'add-model', provider: p })}
                onEditModel={(m) => setDialog({ kind: 'edit-model', provider: p, model: m })}
                onDeleteModel={(m) => setDialog({ kind: 'delete-model', model: m })}
              />
            ))}
          </div>
        </>
      )}

      {dialog?.kind === 'add-provider' && (
        <ProviderDialog
          key={dialog.preset}
          initialPreset={dialog.preset}
          onClose={() => {
            setDialog(null);
            // A provider saved before a later step failed shows up even when the dialog is cancelled.
            reload();
          }}
          onSaved={(message) => {
            toasts.show({ kind: 'success', message });
            reload();
          }}
        />
      )}
      {dialog?.kind === 'edit-provider' && (
        <ProviderDialog
          provider={dialog.provider}
          onClose={() => setDialog(null)}
          onSaved={(message) => {
            toasts.show({ kind: 'success', message });
            reload();
          }}
        />
      )}
      {(dialog?.kind === 'add-model' || dialog?.kind === 'edit-model') && (
        <ModelDialog
          provider={dialog.provider}
          model={dialog.kind === 'edit-model' ? dialog.model : undefined}
          onClose={() => setDialog(null)}
          onSaved={(m, created) => {
            toasts.show({ kind: 'success', message: created ? S.modelAdded(m.name) : S.modelSaved(m.name) });
            reload();
          }}
        />
      )}
      {dialog?.kind === 'delete-model' && (
        <DeleteModelDialog
          model={dialog.model}
          onClose={() => setDialog(null)}
          onDeleted={() => {
            toasts.show({ kind: 'success', message: S.modelDeleted(dialog.model.name) });
            reload();
          }}
        />
      )}
    </div>
  );
}

function DefaultsPanel({ data, onSaved }: { data: Data; onSaved: (c: AdminConfig) => void }) {
  useLocale(); // re-render on a language switch: S reads the active language
  const { config, models, providers } = data;
  const initial = Object.fromEntries(STUDIO_MODEL_KINDS.map((k) => [k, config.default_models[k] ?? ''])) as Record<StudioModelKind, string>;
  const initialCap = config.cost_cap === null || config.cost_cap === undefined ? '' : String(config.cost_cap);
  const [draft, setDraft] = useState(initial);
  const [cap, setCap] = useState(initialCap);
  const [errors, setErrors] = useState<Partial<Record<StudioModelKind | 'cost_cap', string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const dirty = STUDIO_MODEL_KINDS.some((k) => draft[k] !== initial[k]) || cap.trim() !== initialCap;

  async function save() {
    const parsed = parseCostCap(cap);
    if (!parsed.ok) {
      setErrors({ cost_cap: parsed.error });
      return;
    }
    const patch: AdminConfigPatch = {};
    const changed = STUDIO_MODEL_KINDS.filter((k) => draft[k] !== initial[k]);
    if (changed.length) patch.default_models = Object.fromEntries(changed.map((k) => [k, draft[k] || null]));
    if (parsed.value !== config.cost_cap) patch.cost_cap = parsed.value;
    setSaving(true);
    setErrors({});
    setFormError(null);
    try {
      onSaved(await updateAdminConfig(patch));
    } catch (e) {
      const kind = defaultsErrorKind(e);
      if (kind) setErrors({ [kind]: errorMessage(e) });
      else if (isApiError(e) && e.field?.endsWith('cost_cap')) setErrors({ cost_cap: e.detail });
      else setFormError(errorMessage(e));
      setSaving(false);
    }
  }

  return (
    <section className="panel pv-defaults" aria-labelledby="pv-defaults-title" data-testid="defaults-panel">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (dirty && !saving) void save();
        }}
      >
        <div className="pv-defaults-head">
          <h2 id="pv-defaults-title">{S.defaults}</h2>
          <span className="muted small">{S.defaultsNote}</span>
        </div>
        <div className="pv-defaults-grid">
          {STUDIO_MODEL_KINDS.map((k) => {
            const candidates = defaultCandidates(k, models, providers);
            const current = draft[k];
            const missing = current && !candidates.some((m) => m.id === current) ? models.find((m) => m.id === current) : undefined;
            const chosen = candidates.find((m) => m.id === current);
            return (
              <div className="form-field" key={k}>
                <label htmlFor={`pv-default-${k}`}>
                  {KIND_LABELS[k]} <span className="optional">{unitLabel(UNIT_FOR_KIND[k])}</span>
                </label>
                <select
                  id={`pv-default-${k}`}
                  className={`input select${errors[k] ? ' invalid' : ''}`}
                  data-testid={`default-select-${k}`}
                  value={current}
                  aria-invalid={errors[k] ? true : undefined}
                  onChange={(e) => {
                    setDraft((d) => ({ ...d, [k]: e.target.value }));
                    setErrors((x) => ({ ...x, [k]: undefined }));
                  }}
                >
                  <option value="">{S.none}</option>
                  {candidates.map((m) => (
                    <option key={m.id} value={m.id}>
                      {m.builtin ? m.name : `${m.name} (${m.provider})`}
                    </option>
                  ))}
                  {current && !candidates.some((m) => m.id === current) && (
                    <option value={current}>
                      {missing ? `${missing.name} · ${missing.provider}` : current} {S.unavailable}
                    </option>
                  )}
                </select>
                {chosen && (
                  <span className="muted small" data-testid={`default-price-${k}`}>
                    {priceLabel(chosen)}
                  </span>
                )}
                {errors[k] && (
                  <p className="field-error" data-testid={`field-error-default-${k}`}>
                    {errors[k]}
                  </p>
                )}
              </div>
            );
          })}
          <div className="form-field">
            <label htmlFor="pv-cost-cap">
              {S.costCap} <span className="optional">{S.costCapHint}</span>
            </label>
            <input
              id="pv-cost-cap"
              className={`input${errors.cost_cap ? ' invalid' : ''}`}
              inputMode="numeric"
              data-testid="cost-cap-input"
              value={cap}
              aria-invalid={errors.cost_cap ? true : undefined}
              onChange={(e) => {
                setCap(e.target.value);
                setErrors((x) => ({ ...x, cost_cap: undefined }));
              }}
            />
            {errors.cost_cap && (
              <p className="field-error" data-testid="field-error-cost_cap">
                {errors.cost_cap}
              </p>
            )}
          </div>
        </div>
        <div className="pv-defaults-foot">
          <span className="muted small">{S.costCapNote}</span>
          {formError && (
            <p className="form-error" role="alert" data-testid="defaults-error">
              {formError}
            </p>
          )}
          <button type="submit" className="button primary" data-testid="save-defaults" disabled={!dirty || saving}>
            {saving ? S.saving : S.save}
          </button>
        </div>
      </form>
    </section>
  );
}

interface CardProps {
  provider: Provider;
  models: Model[];
  test: TestState | undefined;
  toggling: boolean;
  onToggle: (on: boolean) => void;
  onTest: () => void;
  onEdit: () => void;
  onAddModel: () => void;
  onEditModel: (m: Model) => void;
  onDeleteModel: (m: Model) => void;
}

function ProviderCard({ provider: p, models, test, toggling, onToggle, onTest, onEdit, onAddModel, onEditModel, onDeleteModel }: CardProps) {
  useLocale(); // re-render on a language switch: S reads the active language
  return (
    <section
      className={`panel pv-card${p.enabled ? '' : ' pv-card-disabled'}`}
      aria-label={p.name}
      data-testid="provider-card"
      data-provider-id={p.id}
      data-name={p.name}
      data-enabled={p.enabled}
    >
      <header className="pv-card-head">
        <div className="pv-card-title">
          <h3 data-testid="provider-name">{p.name}</h3>
          {!p.builtin && <span className="chip">{ADAPTER_LABELS[p.adapter] ?? p.adapter}</span>}
          {p.builtin && (
            <span className="chip pv-chip-builtin" data-testid="provider-builtin" title={S.builtinNote}>
              {S.builtin}
            </span>
          )}
          {!p.enabled && <span className="chip pv-chip-off">{S.disabled}</span>}
        </div>
        <div className="pv-card-actions">
          {!p.builtin && (
            <label className="pv-switch" title={S.enable(p.name)}>
              <input
                type="checkbox"
                role="switch"
                checked={p.enabled}
                disabled={toggling}
                aria-label={S.enable(p.name)}
                data-testid="provider-enabled"
                onChange={(e) => onToggle(e.target.checked)}
              />
              <span className="pv-switch-track" aria-hidden="true" />
              <span>{S.enabled}</span>
            </label>
          )}
          {!p.builtin && (
            <>
              <button type="button" className="button secondary button-sm" data-testid="provider-test" disabled={test?.kind === 'running' || !p.enabled} onClick={onTest}>
                {test?.kind === 'running' ? (
                  <>
                    <span className="spinner spinner-sm" aria-hidden="true" />
                    {S.testing}
                  </>
                ) : (
                  S.test
                )}
              </button>
              <button type="button" className="button secondary button-sm" data-testid="provider-edit" onClick={onEdit}>
                <PencilIcon />
                {S.edit}
              </button>
            </>
          )}
        </div>
      </header>
      <p className="pv-card-meta">
        {!p.builtin && <code className="pv-url" title={p.base_url}>{p.base_url}</code>}
        {!p.builtin && <span className="muted">{p.has_api_key ? <code data-testid="provider-key">{p.api_key_masked}</code> : S.noKey}</span>}
        {!p.builtin && <span className="muted">{S.concurrency(p.max_concurrency)}</span>}
        {p.builtin && <span className="muted">{S.builtinNote}</span>}
      </p>
      {test && test.kind !== 'running' && <TestResult test={test} />}
      {test?.kind === 'running' && (
        <p className="pv-test muted" data-testid="provider-test-result" data-state="running" role="status">
          {S.testing}
        </p>
      )}

      {models.length === 0 ? (
        <p className="muted pv-empty">{S.noModels}</p>
      ) : (
        <table className="data-table pv-models" data-testid="model-table">
          <thead>
            <tr>
              <th scope="col">{S.colName}</th>
              <th scope="col">{S.colModel}</th>
              <th scope="col">{S.colKind}</th>
              <th scope="col">{S.colPrice}</th>
              <th scope="col">{S.colStatus}</th>
              <th scope="col">
                <span className="sr-only">{t('providersPage.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {models.map((m) => (
              <tr key={m.id} data-testid="model-row" data-model-id={m.id} data-model-name={m.model_name} data-kind={m.kind} data-default={m.is_default}>
                <td className="cell-strong">{m.name}</td>
                <td>
                  <code>{m.model_name}</code>
                </td>
                <td>{KIND_LABELS[m.kind] ?? m.kind}</td>
                <td data-testid="model-price">{priceLabel(m)}</td>
                <td>
                  <span className={m.is_active ? 'pv-on' : 'muted'}>{m.is_active ? S.active : S.inactive}</span>
                  {m.is_default && (
                    <span className="chip pv-chip-default" data-testid="model-default">
                      {S.default}
                    </span>
                  )}
                </td>
                <td className="cell-actions-inline">
                  {!m.builtin && (
                    <>
                      <button type="button" className="icon-button" aria-label={S.editModel(m.name)} title={S.edit} data-testid="model-edit" onClick={() => onEditModel(m)}>
                        <PencilIcon />
                      </button>
                      <button
                        type="button"
                        className="icon-button danger"
                        aria-label={S.deleteModel(m.name)}
                        title={S.deleteModel(m.name)}
                        data-testid="model-delete"
                        onClick={() => onDeleteModel(m)}
                      >
                        <TrashIcon />
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {!p.builtin && (
        <div className="pv-card-foot">
          <button type="button" className="button secondary button-sm" data-testid="add-model" onClick={onAddModel}>
            <PlusIcon />
            {S.addModel}
          </button>
        </div>
      )}
    </section>
  );
}

function TestResult({ test }: { test: Exclude<TestState, { kind: 'running' }> }) {
  useLocale(); // re-render on a language switch: S reads the active language
  if (test.kind === 'done' && test.result.ok) {
    return (
      <p className="pv-test pv-test-ok" role="status" data-testid="provider-test-result" data-state="ok" data-latency={test.result.latency_ms}>
        {S.testOk(formatNumber(test.result.latency_ms), test.result.model ? ` · ${test.result.model}` : '')}
      </p>
    );
  }
  // The server sends an empty message on success; a failure without words still says it failed.
  const message = test.kind === 'done' ? test.result.message || S.testFailed : test.message;
  return (
    <p className="pv-test run-error" role="alert" data-testid="provider-test-result" data-state="failed">
      <AlertIcon /> {S.testFailed}: {message}
    </p>
  );
}
