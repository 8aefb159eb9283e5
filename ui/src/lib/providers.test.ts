import { describe, expect, it } from 'vitest';
import type { Model, Provider } from '../api/types';
import { ApiError } from '../transport/errors';
import {
  PRESETS,
  assetModel,
  assetModelLabel,
  companionBodies,
  costText,
  defaultCandidates,
  defaultsErrorKind,
  modelErrorField,
  modelFormFromModel,
  modelPatch,
  modelsToCreate,
  newProviderBody,
  parseCostCap,
  parseCredits,
  priceLabel,
  providerFormErrorField,
  providerFormFromPreset,
  providerPatch,
  runCost,
  stepCost,
  unitLabel,
  validateBaseUrl,
  validateModelForm,
  validateProviderForm,
} from './providers';

const provider = (over: Partial<Provider> = {}): Provider => ({
  id: 'p1',
  name: 'Fake',
  adapter: 'openai_compatible',
  base_url: 'http://127.0.0.1:9000/v1',
  api_key_masked: null,
  has_api_key: false,
  enabled: true,
  max_concurrency: 4,
  builtin: false,
  created_at: '2026-12-06T03:00:00Z',
  updated_at: '2026-12-06T03:00:00Z',
  ...over,
});

const model = (over: Partial<Model> = {}): Model => ({
  id: 'm1',
  provider_id: 'p1',
  provider: 'Fake',
  kind: 'llm',
  name: 'Chat',
  model_name: 'chat-1',
  category: '',
  credits_cost: 2,
  output_credits_cost: 4,
  unit: '1k_tokens',
  config: null,
  is_active: true,
  is_default: false,
  builtin: false,
  popularity: 0,
  public_name: 'chat-1',
  route_priority: 0,
  route_weight: 1,
  created_at: '2026-12-06T03:00:00Z',
  updated_at: '2026-12-06T03:00:00Z',
  ...over,
});

describe('units and prices', () => {
  it('names each unit', () => {
    expect(unitLabel('1k_tokens')).toBe('per 1k tokens');
    expect(unitLabel('image')).toBe('per image');
    expect(unitLabel('second')).toBe('per second');
    expect(unitLabel('1k_chars')).toBe('per 1k chars');
    expect(unitLabel('minute')).toBe('per minute');
    expect(unitLabel('frame_pair')).toBe('per frame pair');
  });

  it('shows a price with its unit, in and out for an LLM', () => {
    expect(priceLabel(model())).toBe('2 in / 4 out credits per 1k tokens');
    expect(priceLabel(model({ output_credits_cost: 2 }))).toBe('2 credits per 1k tokens');
    expect(priceLabel(model({ kind: 'image', unit: 'image', credits_cost: 3, output_credits_cost: 0 }))).toBe('3 credits per image');
    expect(priceLabel(model({ kind: 'video', unit: 'second', credits_cost: 1, output_credits_cost: 0 }))).toBe('1 credit per second');
    expect(priceLabel(model({ kind: 'tts', unit: '1k_chars', credits_cost: 1500, output_credits_cost: 0 }))).toBe('1,500 credits per 1k chars');
    expect(priceLabel(model({ kind: 'asr', unit: 'minute', credits_cost: 6, output_credits_cost: 0 }))).toBe('6 credits per minute');
    expect(priceLabel(model({ credits_cost: 0, output_credits_cost: 0 }))).toBe('Free');
  });
});

describe('presets', () => {
  it('fill the form: OpenAI with its four models, the first editable, the rest checked', () => {
    const f = providerFormFromPreset('openai');
    expect(f).toMatchObject({ name: 'OpenAI', adapter: 'openai_compatible', base_url: 'https://api.openai.com/v1', max_concurrency: '4' });
    expect(f.model).toMatchObject({ kind: 'llm', model_name: 'gpt-4o-mini' });
    expect(f.extras.map((x) => [x.model.kind, x.model.model_name, x.include])).toEqual([
      ['image', 'gpt-image-1', true],
      ['tts', 'tts-1', true],
      ['asr', 'whisper-1', true],
    ]);
    expect(f.companion).toBeNull();
  });

  it('DeepSeek, Ollama (no key) and ComfyUI point at their servers', () => {
    expect(providerFormFromPreset('deepseek')).toMatchObject({ base_url: 'https://api.deepseek.com/v1', model: { model_name: 'deepseek-chat' } });
    const ollama = providerFormFromPreset('ollama');
    expect(ollama).toMatchObject({ base_url: 'http://127.0.0.1:11434/v1', model: { model_name: 'llama3.2', kind: 'llm' } });
    expect(PRESETS.find((p) => p.id === 'ollama')!.needsKey).toBe(false);
    expect(providerFormFromPreset('comfyui')).toMatchObject({ adapter: 'comfyui', base_url: 'http://127.0.0.1:8188', model: { kind: 'image' } });
    expect(providerFormFromPreset('custom')).toMatchObject({ name: '', base_url: '', model: { model_name: '' } });
  });

  it('Qwen: compatible mode for qwen-plus, and DashScope for wanx with the same key', () => {
    const f = providerFormFromPreset('qwen');
    expect(f).toMatchObject({ adapter: 'openai_compatible', base_url: 'https://dashscope.aliyuncs.com/compatible-mode/v1', model: { model_name: 'qwen-plus' } });
    f.api_key = 'sk-qwen';
    const c = companionBodies(f)!;
    expect(c.provider).toEqual({ name: 'DashScope', adapter: 'dashscope', base_url: 'https://dashscope.aliyuncs.com/api/v1', max_concurrency: 4, api_key: 'sk-qwen' });
    expect(c.models.map((m) => [m.kind, m.model_name])).toEqual([
      ['image', 'wanx2.1-t2i-turbo'],
      ['video', 'wanx2.1-i2v-turbo'],
    ]);
    f.companion!.include = false;
    expect(companionBodies(f)).toBeNull();
  });
});

describe('the provider form', () => {
  it('checks the URL shape', () => {
    expect(validateBaseUrl('')).toMatch(/required/);
    expect(validateBaseUrl('api.openai.com/v1')).toMatch(/http/);
    expect(validateBaseUrl('ftp://x.example/v1')).toMatch(/http/);
    expect(validateBaseUrl('https://user:pw@x.example/v1')).toMatch(/API key field/);
    expect(validateBaseUrl('https://x.example/v1?key=1')).toMatch(/query/);
    expect(validateBaseUrl('https://x .example')).toMatch(/spaces/);
    expect(validateBaseUrl('http://127.0.0.1:11434/v1')).toBeNull();
    expect(validateBaseUrl(' https://api.openai.com/v1 ')).toBeNull();
  });

  it('requires the name, a key where the preset needs one, a concurrency of 1–64 and the first model', () => {
    const f = providerFormFromPreset('custom');
    f.max_concurrency = '0';
    f.model.credits_cost = '-1';
    f.model.output_credits_cost = '1.5';
    expect(validateProviderForm(f, { mode: 'add', keyRequired: true })).toEqual({
      name: 'Give the provider a name',
      base_url: 'The base URL is required',
      api_key: 'This provider needs an API key',
      max_concurrency: 'A whole number from 1 to 64',
      model_name: 'The model name the provider knows it by is required',
      credits_cost: 'A whole number of credits, 0 or more',
      output_credits_cost: 'A whole number of credits, 0 or more',
    });
    // Editing checks only the provider.
    expect(Object.keys(validateProviderForm(f, { mode: 'edit', keyRequired: false }))).toEqual(['name', 'base_url', 'max_concurrency']);
    const ok = providerFormFromPreset('ollama');
    expect(validateProviderForm(ok, { mode: 'add', keyRequired: false })).toEqual({});
  });

  it('a model kind the adapter does not serve is refused', () => {
    const f = providerFormFromPreset('deepseek');
    f.adapter = 'dashscope';
    expect(validateProviderForm(f, { mode: 'add', keyRequired: false }).kind).toMatch(/does not serve/);
  });

  it('ComfyUI: the workflow must be an API-format JSON object holding the named nodes', () => {
    const f = providerFormFromPreset('comfyui');
    expect(validateModelForm(f.model, 'comfyui')).toMatchObject({ workflow: expect.stringMatching(/API format/), prompt_node: expect.any(String) });
    f.model.workflow = '{"6": {"class_type": "CLIPTextEncode"}';
    expect(validateModelForm(f.model, 'comfyui').workflow).toMatch(/Not valid JSON/);
    f.model.workflow = '[1, 2]';
    expect(validateModelForm(f.model, 'comfyui').workflow).toMatch(/object/);
    f.model.workflow = '{"6": {"class_type": "CLIPTextEncode"}, "3": {"class_type": "KSampler"}}';
    f.model.prompt_node = '6';
    f.model.seed_node = '9';
    expect(validateModelForm(f.model, 'comfyui')).toEqual({ seed_node: 'The workflow has no node “9” for the seed' });
    f.model.seed_node = '3';
    expect(validateModelForm(f.model, 'comfyui')).toEqual({});
    const [body] = modelsToCreate(f, { id: 'p9', name: 'ComfyUI', adapter: 'comfyui' });
    expect(body!.config).toEqual({ workflow: { 6: { class_type: 'CLIPTextEncode' }, 3: { class_type: 'KSampler' } }, nodes: { prompt: '6', seed: '3' } });
  });

  it('builds the create bodies: trimmed, no trailing slash, the key only when typed, the checked models', () => {
    const f = providerFormFromPreset('openai');
    f.base_url = ' https://api.openai.com/v1/ ';
    expect(newProviderBody(f)).toEqual({ name: 'OpenAI', adapter: 'openai_compatible', base_url: 'https://api.openai.com/v1', max_concurrency: 4 });
    f.api_key = ' sk-abc ';
    expect(newProviderBody(f).api_key).toBe('sk-abc');
    f.extras[1]!.include = false;
    f.model.name = '';
    const bodies = modelsToCreate(f, { id: 'p1', name: 'OpenAI', adapter: 'openai_compatible' });
    expect(bodies).toEqual([
      { name: 'gpt-4o-mini', provider: 'OpenAI', provider_id: 'p1', model_name: 'gpt-4o-mini', kind: 'llm', credits_cost: 1, output_credits_cost: 4 },
      { name: 'GPT Image 1', provider: 'OpenAI', provider_id: 'p1', model_name: 'gpt-image-1', kind: 'image', credits_cost: 40 },
      { name: 'Whisper', provider: 'OpenAI', provider_id: 'p1', model_name: 'whisper-1', kind: 'asr', credits_cost: 6 },
    ]);
  });

  it('patches only what changed; "replace key" with an empty field clears it', () => {
    const p = provider({ has_api_key: true, api_key_masked: 'sk-…abcd' });
    const f = { ...providerFormFromPreset('custom'), name: 'Fake', base_url: 'http://127.0.0.1:9000/v1', max_concurrency: '8' };
    expect(providerPatch(f, p, false)).toEqual({ max_concurrency: 8 });
    expect(providerPatch(f, p, true)).toEqual({ max_concurrency: 8, api_key: '' });
    expect(providerPatch({ ...f, api_key: 'sk-new' }, p, true)).toEqual({ max_concurrency: 8, api_key: 'sk-new' });
  });

  it('puts the server’s field errors on the right field', () => {
    const err = (field: string) => new ApiError(422, { detail: 'bad', error_code: 'VALIDATION_ERROR', retryable: false, field });
    expect(providerFormErrorField(err('base_url'), 'provider')).toBe('base_url');
    expect(providerFormErrorField(err('api_base'), 'provider')).toBe('base_url');
    expect(providerFormErrorField(err('max_concurrency'), 'provider')).toBe('max_concurrency');
    expect(providerFormErrorField(err('name'), 'provider')).toBe('name');
    expect(providerFormErrorField(err('name'), 'model')).toBe('model_display_name');
    expect(providerFormErrorField(err('credits_cost'), 'model')).toBe('credits_cost');
    expect(modelErrorField(err('config.nodes.seed'))).toBe('seed_node');
    expect(modelErrorField(err('config.workflow'))).toBe('workflow');
    expect(providerFormErrorField(err('something_else'), 'provider')).toBeNull();
    expect(providerFormErrorField(new Error('x'), 'provider')).toBeNull();
    expect(defaultsErrorKind(err('default_models.image'))).toBe('image');
    expect(defaultsErrorKind(err('default_models.nope'))).toBeNull();
  });
});

describe('models', () => {
  it('edit form round trip: only changes are sent', () => {
    const m = model();
    const f = modelFormFromModel(m);
    expect(modelPatch(f, m, 'openai_compatible')).toEqual({});
    expect(modelPatch({ ...f, credits_cost: '3', is_active: false, name: '' }, m, 'openai_compatible')).toEqual({
      name: 'chat-1',
      credits_cost: 3,
      is_active: false,
    });
  });

  it('price fields: empty is 0, only whole credits', () => {
    expect(parseCredits('')).toEqual({ ok: true, value: 0 });
    expect(parseCredits('1,000')).toEqual({ ok: true, value: 1000 });
    expect(parseCredits('2.5').ok).toBe(false);
    expect(parseCostCap('')).toEqual({ ok: true, value: null });
    expect(parseCostCap(' 500 ')).toEqual({ ok: true, value: 500 });
    expect(parseCostCap('-5').ok).toBe(false);
    expect(parseCostCap('1000001')).toEqual({ ok: false, error: 'At most 1,000,000 credits' });
  });

  it('default choices: active models of the kind on enabled providers, built-ins first', () => {
    const providers = [provider(), provider({ id: 'p2', enabled: false }), provider({ id: 'b', builtin: true, adapter: 'builtin' })];
    const models = [
      model({ id: 'a', kind: 'image', name: 'Zed' }),
      model({ id: 'b1', kind: 'image', provider_id: 'b', builtin: true, name: 'Animatic' }),
      model({ id: 'c', kind: 'image', is_active: false }),
      model({ id: 'd', kind: 'image', provider_id: 'p2' }),
      model({ id: 'e', kind: 'llm' }),
    ];
    expect(defaultCandidates('image', models, providers).map((m) => m.id)).toEqual(['b1', 'a']);
  });
});

describe('run costs and asset labels', () => {
  it('per node: estimate before, actual after', () => {
    expect(costText(stepCost({ cost_credits: 0 }), false)).toBeNull();
    expect(costText(stepCost({ cost_credits: 0, estimate_credits: 12 }), false)).toBe('est. 12 cr');
    expect(costText(stepCost({ cost_credits: 10, estimate_credits: 12 }), true)).toBe('10 cr (est. 12)');
    expect(costText(stepCost({ cost_credits: 12, estimate_credits: 12 }), true)).toBe('12 cr');
    expect(costText(stepCost({ cost_credits: 0, estimate_credits: 12 }), true)).toBe('0 cr (est. 12)');
  });

  it('the run’s totals', () => {
    expect(runCost([{ cost_credits: 1, estimate_credits: 2 }, { cost_credits: 3, estimate_credits: 5 }, { cost_credits: 0 }], 4)).toEqual({ estimate: 7, actual: 4 });
    expect(runCost([], 0)).toEqual({ estimate: 0, actual: 0 });
  });

  it('the model of a generated asset', () => {
    expect(assetModel(null)).toBeNull();
    expect(assetModel({ seed: 1 })).toBeNull();
    const a = assetModel({ provider: 'Fake', model: 'img-1' })!;
    expect(assetModelLabel(a)).toBe('img-1 · Fake');
    expect(assetModelLabel(assetModel({ provider: 'builtin.animatic' })!)).toBe('builtin.animatic');
  });
});
