/**
 * Pure logic of the Providers & Models page (docs/API-PROVIDERS.md): the presets, the add/edit
 * forms (their state, validation and request bodies), price units and labels, and the cost and
 * model labels of the run page and the assets.
 */
import {
  MODEL_KINDS,
  type Adapter,
  type Model,
  type ModelConfig,
  type ModelKind,
  type ModelPatch,
  type NewModel,
  type NewProvider,
  type PriceUnit,
  type Provider,
  type ProviderPatch,
  type Step,
} from '../api/types';
import { t, t as translate, translatedRecord } from '../i18n';
import { ApiError } from '../transport/errors';
import { formatNumber } from './format';
import type { FieldErrors } from './validation';

/* ---------- units and prices ---------- */

export const UNIT_FOR_KIND: Record<ModelKind, PriceUnit> = {
  llm: '1k_tokens',
  image: 'image',
  video: 'second',
  tts: '1k_chars',
  asr: 'minute',
  embedding: '1k_tokens',
};

const UNIT_LABELS: Record<PriceUnit, string> = translatedRecord({
  '1k_tokens': 'providerLabels.unit.1k_tokens',
  image: 'providerLabels.unit.image',
  second: 'providerLabels.unit.second',
  '1k_chars': 'providerLabels.unit.1k_chars',
  minute: 'providerLabels.unit.minute',
});

export const KIND_LABELS: Record<ModelKind, string> = translatedRecord({
  llm: 'providerLabels.kind.llm',
  image: 'providerLabels.kind.image',
  video: 'providerLabels.kind.video',
  tts: 'providerLabels.kind.tts',
  asr: 'providerLabels.kind.asr',
  embedding: 'providerLabels.kind.embedding',
});

export const ADAPTER_LABELS: Record<Adapter, string> = translatedRecord({
  builtin: 'providerLabels.adapter.builtin',
  openai_compatible: 'providerLabels.adapter.openai_compatible',
  dashscope: 'providerLabels.adapter.dashscope',
  comfyui: 'providerLabels.adapter.comfyui',
});

/** The adapters a person can add (built-in providers ship with the app). */
export const ADDABLE_ADAPTERS: readonly Adapter[] = ['openai_compatible', 'dashscope', 'comfyui'];

/** The kinds each adapter serves. */
export const ADAPTER_KINDS: Record<Adapter, readonly ModelKind[]> = {
  builtin: ['image', 'video', 'tts'],
  openai_compatible: ['llm', 'image', 'tts', 'asr', 'embedding'],
  dashscope: ['image', 'video'],
  comfyui: ['image', 'video'],
};

export function unitLabel(unit: PriceUnit | string): string {
  return UNIT_LABELS[unit as PriceUnit] ?? t('providerLabels.unit.other', { unit: unit.replace(/_/g, ' ') });
}

function credits(n: number): string {
  return t('count.credit', { count: n, formatted: formatNumber(n) });
}

/** "Free", "3 credits per image", "2 in / 4 out credits per 1k tokens". */
export function priceLabel(
  m: Pick<Model, 'kind' | 'credits_cost'> & { output_credits_cost?: number | null; unit?: PriceUnit | string },
): string {
  const unit = m.unit ?? UNIT_FOR_KIND[m.kind];
  const out = m.output_credits_cost ?? null;
  if (m.credits_cost === 0 && (out === null || out === 0)) return t('providerLabels.free');
  if (m.kind === 'llm' && out !== null && out !== m.credits_cost) {
    return t('providerLabels.inOut', { input: formatNumber(m.credits_cost), output: formatNumber(out), unit: unitLabel(unit) });
  }
  return t('providerLabels.price', { credits: credits(m.credits_cost), unit: unitLabel(unit) });
}

/* ---------- presets ---------- */

export interface PresetModel {
  kind: ModelKind;
  model_name: string;
  name: string;
  credits_cost: number;
  output_credits_cost?: number;
}

export interface PresetProvider {
  name: string;
  adapter: Adapter;
  base_url: string;
  models: PresetModel[];
}

export type PresetId = 'openai' | 'deepseek' | 'qwen' | 'ollama' | 'comfyui' | 'custom';

export interface Preset {
  id: PresetId;
  label: string;
  hint: string;
  /** Whether the upstream needs an API key (local servers don't). */
  needsKey: boolean;
  provider: PresetProvider;
  /** A second provider created with the same key (Qwen: DashScope's own API for wanx). */
  companion?: PresetProvider;
}

export const PRESETS: readonly Preset[] = [
  {
    id: 'openai',
    label: 'OpenAI',
    get hint() {
      return t('providerPresets.openai');
    },
    needsKey: true,
    provider: {
      name: 'OpenAI',
      adapter: 'openai_compatible',
      base_url: 'https://api.openai.com/v1',
      models: [
        { kind: 'llm', model_name: 'gpt-4o-mini', name: 'GPT-4o mini', credits_cost: 1, output_credits_cost: 4 },
        { kind: 'image', model_name: 'gpt-image-1', name: 'GPT Image 1', credits_cost: 40 },
        { kind: 'tts', model_name: 'tts-1', name: 'TTS 1', credits_cost: 15 },
        { kind: 'asr', model_name: 'whisper-1', name: 'Whisper', credits_cost: 6 },
      ],
    },
  },
  {
    id: 'deepseek',
    label: 'DeepSeek',
    get hint() {
      return t('providerPresets.deepseek');
    },
    needsKey: true,
    provider: {
      name: 'DeepSeek',
      adapter: 'openai_compatible',
      base_url: 'https://api.deepseek.com/v1',
      models: [{ kind: 'llm', model_name: 'deepseek-chat', name: 'DeepSeek Chat', credits_cost: 2, output_credits_cost: 4 }],
    },
  },
  {
    id: 'qwen',
    label: 'Qwen / DashScope',
    get hint() {
      return t('providerPresets.qwen');
    },
    needsKey: true,
    provider: {
      name: 'Qwen',
      adapter: 'openai_compatible',
      base_url: 'https://dashscope.aliyuncs.com/compatible-mode/v1',
      models: [{ kind: 'llm', model_name: 'qwen-plus', name: 'Qwen Plus', credits_cost: 1, output_credits_cost: 2 }],
    },
    companion: {
      name: 'DashScope',
      adapter: 'dashscope',
      base_url: 'https://dashscope.aliyuncs.com/api/v1',
      models: [
        { kind: 'image', model_name: 'wanx2.1-t2i-turbo', name: 'Wanx 2.1 text-to-image turbo', credits_cost: 20 },
        { kind: 'video', model_name: 'wanx2.1-i2v-turbo', name: 'Wanx 2.1 image-to-video turbo', credits_cost: 24 },
      ],
    },
  },
  {
    id: 'ollama',
    label: 'Ollama',
    get hint() {
      return t('providerPresets.ollama');
    },
    needsKey: false,
    provider: {
      name: 'Ollama',
      adapter: 'openai_compatible',
      base_url: 'http://127.0.0.1:11434/v1',
      models: [{ kind: 'llm', model_name: 'llama3.2', name: 'Llama 3.2', credits_cost: 0, output_credits_cost: 0 }],
    },
  },
  {
    id: 'comfyui',
    label: 'ComfyUI',
    get hint() {
      return t('providerPresets.comfyui');
    },
    needsKey: false,
    provider: {
      name: 'ComfyUI',
      adapter: 'comfyui',
      base_url: 'http://127.0.0.1:8188',
      models: [{ kind: 'image', model_name: 'comfyui-workflow', name: 'ComfyUI workflow', credits_cost: 0 }],
    },
  },
  {
    id: 'custom',
    get label() {
      return t('providerPresets.customLabel');
    },
    get hint() {
      return t('providerPresets.custom');
    },
    needsKey: false,
    provider: {
      name: '',
      adapter: 'openai_compatible',
      base_url: '',
      models: [{ kind: 'llm', model_name: '', name: '', credits_cost: 0, output_credits_cost: 0 }],
    },
  },
];

export function presetById(id: PresetId): Preset {
  return PRESETS.find((p) => p.id === id) ?? PRESETS[PRESETS.length - 1]!;
}

/* ---------- the model form ---------- */

/** A model as typed: numbers are text until validated. */
export interface ModelForm {
  kind: ModelKind;
  model_name: string;
  name: string;
  credits_cost: string;
  output_credits_cost: string;
  is_active: boolean;
  /** ComfyUI only: the API-format workflow JSON and the node ids that receive the inputs. */
  workflow: string;
  prompt_node: string;
  seed_node: string;
  image_node: string;
}

export const MODEL_FORM_FIELDS = [
  'kind',
  'model_name',
  'model_display_name',
  'credits_cost',
  'output_credits_cost',
  'workflow',
  'prompt_node',
  'seed_node',
  'image_node',
] as const;

export function emptyModelForm(kind: ModelKind = 'llm'): ModelForm {
  return {
    kind,
    model_name: '',
    name: '',
    credits_cost: '0',
    output_credits_cost: '0',
    is_active: true,
    workflow: '',
    prompt_node: '',
    seed_node: '',
    image_node: '',
  };
}

export function modelFormFromPreset(m: PresetModel): ModelForm {
  return {
    ...emptyModelForm(m.kind),
    model_name: m.model_name,
    name: m.name,
    credits_cost: String(m.credits_cost),
    output_credits_cost: String(m.output_credits_cost ?? m.credits_cost),
  };
}

export function modelFormFromModel(m: Model): ModelForm {
  const cfg = m.config ?? {};
  return {
    kind: m.kind,
    model_name: m.model_name,
    name: m.name,
    credits_cost: String(m.credits_cost),
    output_credits_cost: String(m.output_credits_cost ?? m.credits_cost),
    is_active: m.is_active,
    workflow: cfg.workflow === undefined ? '' : JSON.stringify(cfg.workflow, null, 2),
    prompt_node: cfg.nodes?.prompt ?? '',
    seed_node: cfg.nodes?.seed ?? '',
    image_node: cfg.nodes?.image ?? '',
  };
}

const MAX_PRICE = 1_000_000;

/** A whole number of credits ≥ 0 ("" is 0), or an error message. */
export function parseCredits(raw: string): { ok: true; value: number } | { ok: false; error: string } {
  const t = raw.trim().replace(/[,_\s]/g, '');
  if (t === '') return { ok: true, value: 0 };
  if (!/^\d+$/.test(t)) return { ok: false, error: translate('providerForms.wholeCredits') };
  const value = Number(t);
  if (value > MAX_PRICE) return { ok: false, error: translate('providerForms.atMostCredits', { max: formatNumber(MAX_PRICE) }) };
  return { ok: true, value };
}

/** The cost cap field: empty is "no cap" (null). */
export function parseCostCap(raw: string): { ok: true; value: number | null } | { ok: false; error: string } {
  const t = raw.trim().replace(/[,_\s]/g, '');
  if (t === '') return { ok: true, value: null };
  if (!/^\d+$/.test(t)) return { ok: false, error: translate('providerForms.wholeCreditsOrEmpty') };
  const value = Number(t);
  if (value > MAX_PRICE) return { ok: false, error: translate('providerForms.atMostCredits', { max: formatNumber(MAX_PRICE) }) };
  return { ok: true, value };
}

export function validateModelForm(f: ModelForm, adapter: Adapter): FieldErrors {
  const errors: FieldErrors = {};
  if (!ADAPTER_KINDS[adapter].includes(f.kind)) errors.kind = t('providerForms.kindNotServed', { adapter: ADAPTER_LABELS[adapter], kind: KIND_LABELS[f.kind].toLowerCase() });
  const model = f.model_name.trim();
  if (!model) errors.model_name = t('providerForms.modelNameRequired');
  else if (model.length > 200) errors.model_name = t('providerForms.atMostChars', { max: 200 });
  else if (/\s/.test(model)) errors.model_name = t('providerForms.modelNameSpaces');
  if (f.name.trim().length > 100) errors.model_display_name = t('providerForms.atMostChars', { max: 100 });
  const input = parseCredits(f.credits_cost);
  if (!input.ok) errors.credits_cost = input.error;
  if (f.kind === 'llm') {
    const output = parseCredits(f.output_credits_cost);
    if (!output.ok) errors.output_credits_cost = output.error;
  }
  if (adapter === 'comfyui') {
    if (!f.workflow.trim()) errors.workflow = t('providerForms.pasteWorkflow');
    else {
      let parsed: unknown;
      try {
        parsed = JSON.parse(f.workflow);
      } catch (e) {
        errors.workflow = t('providerForms.notJson', { reason: e instanceof Error ? e.message : String(e) });
      }
      if (parsed !== undefined && (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))) {
        errors.workflow = t('providerForms.notObject');
      } else if (parsed && typeof parsed === 'object') {
        const ids = Object.keys(parsed);
        for (const [field, label] of [
          ['prompt_node', 'providerForms.nodeFor.prompt'],
          ['seed_node', 'providerForms.nodeFor.seed'],
          ['image_node', 'providerForms.nodeFor.image'],
        ] as const) {
          const id = f[field].trim();
          if (id && !ids.includes(id)) errors[field] = t('providerForms.noNode', { id, what: t(label) });
        }
      }
    }
    if (!f.prompt_node.trim() && !errors.prompt_node) errors.prompt_node = t('providerForms.whichPromptNode');
  }
  return errors;
}

function modelConfig(f: ModelForm, adapter: Adapter): ModelConfig | undefined {
  if (adapter !== 'comfyui') return undefined;
  const nodes: NonNullable<ModelConfig['nodes']> = { prompt: f.prompt_node.trim() };
  if (f.seed_node.trim()) nodes.seed = f.seed_node.trim();
  if (f.image_node.trim()) nodes.image = f.image_node.trim();
  return { workflow: JSON.parse(f.workflow) as unknown, nodes };
}

function prices(f: ModelForm): { credits_cost: number; output_credits_cost?: number } {
  const input = parseCredits(f.credits_cost);
  const out = parseCredits(f.output_credits_cost);
  const p: { credits_cost: number; output_credits_cost?: number } = { credits_cost: input.ok ? input.value : 0 };
  if (f.kind === 'llm') p.output_credits_cost = out.ok ? out.value : p.credits_cost;
  return p;
}

/** `POST /models` for a validated form on an existing provider. */
export function newModelBody(f: ModelForm, provider: Pick<Provider, 'id' | 'name' | 'adapter'>): NewModel {
  const model_name = f.model_name.trim();
  const body: NewModel = {
    name: f.name.trim() || model_name,
    provider: provider.name,
    provider_id: provider.id,
    model_name,
    kind: f.kind,
    ...prices(f),
  };
  const config = modelConfig(f, provider.adapter);
  if (config) body.config = config;
  return body;
}

/** `PUT /models/{id}` for a validated form: only what changed. */
export function modelPatch(f: ModelForm, m: Model, adapter: Adapter): ModelPatch {
  const patch: ModelPatch = {};
  const model_name = f.model_name.trim();
  const name = f.name.trim() || model_name;
  if (name !== m.name) patch.name = name;
  if (model_name !== m.model_name) patch.model_name = model_name;
  const p = prices(f);
  if (p.credits_cost !== m.credits_cost) patch.credits_cost = p.credits_cost;
  if (p.output_credits_cost !== undefined && p.output_credits_cost !== (m.output_credits_cost ?? m.credits_cost)) {
    patch.output_credits_cost = p.output_credits_cost;
  }
  if (f.is_active !== m.is_active) patch.is_active = f.is_active;
  const config = modelConfig(f, adapter);
  if (config && JSON.stringify(config) !== JSON.stringify({ workflow: m.config?.workflow, nodes: m.config?.nodes })) {
    patch.config = { ...(m.config ?? {}), ...config };
  }
  return patch;
}

/* ---------- the provider form ---------- */

export interface ProviderForm {
  preset: PresetId;
  name: string;
  adapter: Adapter;
  base_url: string;
  api_key: string;
  max_concurrency: string;
  /** The first model (add mode only). */
  model: ModelForm;
  /** The preset's other models, each offered with a checkbox (add mode only). */
  extras: { model: PresetModel; include: boolean }[];
  /** Qwen: also create the DashScope provider with the same key. */
  companion: { provider: PresetProvider; include: boolean } | null;
}

export const PROVIDER_FORM_FIELDS = ['name', 'adapter', 'base_url', 'api_key', 'max_concurrency'] as const;

export const DEFAULT_CONCURRENCY = 4;

export function providerFormFromPreset(id: PresetId): ProviderForm {
  const p = presetById(id);
  const [first, ...rest] = p.provider.models;
  return {
    preset: p.id,
    name: p.provider.name,
    adapter: p.provider.adapter,
    base_url: p.provider.base_url,
    api_key: '',
    max_concurrency: String(DEFAULT_CONCURRENCY),
    model: first ? modelFormFromPreset(first) : emptyModelForm(),
    extras: rest.map((model) => ({ model, include: true })),
    companion: p.companion ? { provider: p.companion, include: true } : null,
  };
}

export function providerFormFromProvider(p: Provider): ProviderForm {
  return {
    preset: 'custom',
    name: p.name,
    adapter: p.adapter,
    base_url: p.base_url,
    api_key: '',
    max_concurrency: String(p.max_concurrency),
    model: emptyModelForm(),
    extras: [],
    companion: null,
  };
}

/** An http(s) URL with a host, no credentials, query or fragment; or an error message. */
export function validateBaseUrl(raw: string): string | null {
  const v = raw.trim();
  if (!v) return t('providerForms.baseUrlRequired');
  if (/\s/.test(v)) return t('providerForms.urlSpaces');
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return t('providerForms.notUrl');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return t('providerForms.httpOnly');
  if (!u.hostname) return t('providerForms.urlHost');
  if (u.username || u.password) return t('providerForms.keyNotInUrl');
  if (u.search || u.hash) return t('providerForms.urlQuery');
  return null;
}

export function parseConcurrency(raw: string): { ok: true; value: number } | { ok: false; error: string } {
  const v = raw.trim();
  if (!/^\d+$/.test(v)) return { ok: false, error: t('providerForms.concurrencyRange') };
  const value = Number(v);
  if (value < 1 || value > 64) return { ok: false, error: t('providerForms.concurrencyRange') };
  return { ok: true, value };
}

/**
 * Errors of the provider form, keyed by field (`model_*` for the first model). `mode: 'edit'`
 * checks only the provider; `keyRequired` is the preset's (a saved key counts when editing).
 */
export function validateProviderForm(f: ProviderForm, opts: { mode: 'add' | 'edit'; keyRequired: boolean }): FieldErrors {
  const errors: FieldErrors = {};
  const name = f.name.trim();
  if (!name) errors.name = t('providerForms.nameRequired');
  else if (name.length > 100) errors.name = t('providerForms.atMostChars', { max: 100 });
  if (!ADDABLE_ADAPTERS.includes(f.adapter)) errors.adapter = t('providerForms.pickAdapter');
  const url = validateBaseUrl(f.base_url);
  if (url) errors.base_url = url;
  if (opts.keyRequired && !f.api_key.trim()) errors.api_key = t('providerForms.keyRequired');
  else if (f.api_key && /\s/.test(f.api_key.trim())) errors.api_key = t('providerForms.keySpaces');
  const conc = parseConcurrency(f.max_concurrency);
  if (!conc.ok) errors.max_concurrency = conc.error;
  if (opts.mode === 'add') Object.assign(errors, validateModelForm(f.model, f.adapter));
  return errors;
}

/** `POST /admin/providers` for a validated form. */
export function newProviderBody(f: ProviderForm): NewProvider {
  const conc = parseConcurrency(f.max_concurrency);
  const body: NewProvider = {
    name: f.name.trim(),
    adapter: f.adapter,
    base_url: f.base_url.trim().replace(/\/+$/, ''),
    max_concurrency: conc.ok ? conc.value : DEFAULT_CONCURRENCY,
  };
  if (f.api_key.trim()) body.api_key = f.api_key.trim();
  return body;
}

/**
 * `PATCH /admin/providers/{id}` for a validated form: what changed. `replaceKey`: the person chose
 * "Replace key"; an empty field then clears the secret (`api_key: ""`).
 */
export function providerPatch(f: ProviderForm, p: Provider, replaceKey: boolean): ProviderPatch {
  const body = newProviderBody(f);
  const patch: ProviderPatch = {};
  if (body.name !== p.name) patch.name = body.name;
  if (body.adapter !== p.adapter) patch.adapter = body.adapter;
  if (body.base_url !== p.base_url) patch.base_url = body.base_url;
  if (body.max_concurrency !== p.max_concurrency) patch.max_concurrency = body.max_concurrency!;
  if (replaceKey) patch.api_key = f.api_key.trim();
  return patch;
}

/** The models to create after the provider: the first one and the checked extras. */
export function modelsToCreate(f: ProviderForm, provider: Pick<Provider, 'id' | 'name' | 'adapter'>): NewModel[] {
  return [
    newModelBody(f.model, provider),
    ...f.extras.filter((x) => x.include).map((x) => newModelBody(modelFormFromPreset(x.model), provider)),
  ];
}

/** Qwen's DashScope provider and its models, created with the same key. */
export function companionBodies(f: ProviderForm): { provider: NewProvider; models: PresetModel[] } | null {
  if (!f.companion?.include) return null;
  const c = f.companion.provider;
  const provider: NewProvider = { name: c.name, adapter: c.adapter, base_url: c.base_url, max_concurrency: newProviderBody(f).max_concurrency! };
  if (f.api_key.trim()) provider.api_key = f.api_key.trim();
  return { provider, models: c.models };
}

/**
 * Where a server error belongs on the provider form: a provider field, a `model_*` field of the
 * first model (`stage: 'model'`), or null (shown above the buttons).
 */
export function providerFormErrorField(e: unknown, stage: 'provider' | 'model'): string | null {
  if (!(e instanceof ApiError) || !e.field) return null;
  const last = e.field.split(/[./]/).filter(Boolean).pop() ?? '';
  if (stage === 'provider') {
    const aliases: Record<string, string> = { api_base: 'base_url' };
    const f = aliases[last] ?? last;
    return (PROVIDER_FORM_FIELDS as readonly string[]).includes(f) ? f : null;
  }
  return modelErrorField(e);
}

/** Where a server error of `POST/PUT /models` belongs on a model form. */
export function modelErrorField(e: unknown): string | null {
  if (!(e instanceof ApiError) || !e.field) return null;
  const parts = e.field.split(/[./]/).filter(Boolean);
  const last = parts[parts.length - 1] ?? '';
  if (last === 'name') return 'model_display_name';
  if (parts.includes('workflow')) return 'workflow';
  if (parts.includes('nodes')) return last === 'seed' ? 'seed_node' : last === 'image' ? 'image_node' : 'prompt_node';
  return (MODEL_FORM_FIELDS as readonly string[]).includes(last) ? last : null;
}

/* ---------- defaults ---------- */

/** The models that can be the default of `kind`: active, of that kind, on an enabled provider. */
export function defaultCandidates(kind: ModelKind, models: Model[], providers: Provider[]): Model[] {
  const enabled = new Set(providers.filter((p) => p.enabled).map((p) => p.id));
  return models
    .filter((m) => m.kind === kind && m.is_active && enabled.has(m.provider_id))
    .sort((a, b) => Number(b.builtin) - Number(a.builtin) || a.name.localeCompare(b.name));
}

/** The kind of a `default_models.<kind>` error field, or null. */
export function defaultsErrorKind(e: unknown): ModelKind | null {
  if (!(e instanceof ApiError) || !e.field) return null;
  const m = /default_models[./](\w+)/.exec(e.field);
  const kind = m?.[1];
  return kind && (MODEL_KINDS as readonly string[]).includes(kind) ? (kind as ModelKind) : null;
}

/* ---------- run costs and asset labels ---------- */

export interface CostFigures {
  estimate: number;
  actual: number;
}

/** A node's estimate and actual cost (an older server sends no estimate: 0). */
export function stepCost(s: Pick<Step, 'cost_credits'> & { estimate_credits?: number }): CostFigures {
  return { estimate: s.estimate_credits ?? 0, actual: s.cost_credits ?? 0 };
}

/** The run's totals: the sum of the nodes' estimates, and what was charged. */
export function runCost(steps: (Pick<Step, 'cost_credits'> & { estimate_credits?: number })[], runActual?: number): CostFigures {
  const estimate = steps.reduce((sum, s) => sum + (s.estimate_credits ?? 0), 0);
  const summed = steps.reduce((sum, s) => sum + (s.cost_credits ?? 0), 0);
  return { estimate, actual: Math.max(summed, runActual ?? 0) };
}

/**
 * The cost line of a node card: nothing for free work, "est. 12" before it is done, "12 (est. 15)"
 * once it has been charged.
 */
export function costText(c: CostFigures, done: boolean): string | null {
  if (c.estimate === 0 && c.actual === 0) return null;
  const n = (x: number) => formatNumber(x);
  if (!done && c.actual === 0) return translate('runs.costShortEstimate', { credits: n(c.estimate) });
  if (c.estimate > 0 && c.estimate !== c.actual) return translate('runs.costShortBoth', { actual: n(c.actual), estimate: n(c.estimate) });
  return translate('runs.costShort', { credits: n(c.actual) });
}

export interface AssetModel {
  provider: string | null;
  model: string;
}

/** `metadata.model` (and `metadata.provider`) of a generated asset, or null. */
export function assetModel(metadata: unknown): AssetModel | null {
  if (!metadata || typeof metadata !== 'object') return null;
  const m = metadata as { model?: unknown; provider?: unknown };
  const model = typeof m.model === 'string' && m.model.trim() ? m.model.trim() : null;
  const provider = typeof m.provider === 'string' && m.provider.trim() ? m.provider.trim() : null;
  if (!model && !provider) return null;
  return { provider, model: model ?? provider! };
}

export function assetModelLabel(a: AssetModel): string {
  return a.provider && a.provider !== a.model ? `${a.model} · ${a.provider}` : a.model;
}
