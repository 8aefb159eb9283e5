import { afterEach, describe, expect, it } from 'vitest';
import type { Creation, Generated, Tool, WritingStreamEvent } from '../api/create';
import { i18n } from '../i18n';
import {
  changeCreationFilters,
  creationsQuery,
  creationToolLabel,
  DEFAULT_CREATION_FILTERS,
  EMPTY_WRITING_FORM,
  INITIAL_WRITING_STATE,
  isWritingActive,
  languagePlaceholder,
  parseKeywords,
  serverFieldErrors,
  toolCostLabel,
  toolName,
  validateWritingForm,
  writingFieldOf,
  writingRequest,
  writingStreamReducer,
  type WritingStreamState,
} from './create';

afterEach(async () => {
  await i18n.changeLanguage('en');
});

const creation = (over: Partial<Creation> = {}): Creation => ({
  id: 'c1',
  type: 'writing',
  tool_type: 'wechat_article',
  title: 'Sleep well',
  content: '# Sleep well\n\nFull text.',
  input: {},
  model: 'gpt-x',
  prompt_version: 'builtin:wechat_article@1',
  credits_used: 3,
  created_by: 'u1',
  created_at: '2026-05-01T10:00:00Z',
  updated_at: '2026-05-01T10:00:00Z',
  ...over,
});

const done = (over: Partial<Generated> = {}): Generated => ({ creation_id: 'c1', content: '# Sleep well\n\nFull text.', credits_used: 3, creation: creation(), ...over });

function run(events: WritingStreamEvent[], from: WritingStreamState = INITIAL_WRITING_STATE): WritingStreamState {
  return events.reduce(writingStreamReducer, from);
}

const start = { type: 'start', data: { creation_id: 'c1', model: 'gpt-x', estimate: 12 } } as const;
const delta = (text: string) => ({ type: 'delta', data: { text } }) as const;

describe('writingStreamReducer', () => {
  it('appends deltas after start, then takes the saved content on done', () => {
    const states: WritingStreamState[] = [];
    let s = INITIAL_WRITING_STATE;
    for (const e of [{ type: 'begin' }, start, delta('# Sleep'), delta(' well\n'), { type: 'done', data: done() }] as WritingStreamEvent[]) {
      s = writingStreamReducer(s, e);
      states.push(s);
    }
    expect(states.map((x) => x.status)).toEqual(['sending', 'streaming', 'streaming', 'streaming', 'done']);
    expect(states[1]).toMatchObject({ creationId: 'c1', model: 'gpt-x', estimate: 12, text: '' });
    expect(states[3]!.text).toBe('# Sleep well\n');
    expect(s.text).toBe('# Sleep well\n\nFull text.');
    expect(s.result?.credits_used).toBe(3);
    expect(s.error).toBeNull();
  });

  it('empties the text on restart and counts the attempt; the retry’s deltas follow', () => {
    const s = run([{ type: 'begin' }, start, delta('half a sent'), { type: 'restart', data: { attempt: 2 } }]);
    expect(s).toMatchObject({ status: 'streaming', text: '', attempt: 2, creationId: 'c1' });
    expect(run([delta('Fresh')], s).text).toBe('Fresh');
  });

  it('ends on an error event, keeping what was written, and ignores anything after it', () => {
    const err = { code: 'UPSTREAM_FAILED', message: 'the provider failed', retryable: true };
    const s = run([{ type: 'begin' }, start, delta('Some'), { type: 'error', data: err }, delta(' more'), { type: 'done', data: done() }]);
    expect(s.status).toBe('error');
    expect(s.error).toEqual(err);
    expect(s.text).toBe('Some');
    expect(s.result).toBeNull();
  });

  it('ends as failed with the field for a request refused before the stream', () => {
    const error = { code: 'VALIDATION_ERROR', message: 'title must not be empty', retryable: false, field: 'title', status: 422 };
    const s = run([{ type: 'begin' }, { type: 'failed', error }]);
    expect(s).toMatchObject({ status: 'error', error, creationId: null });
    expect(writingFieldOf(s.error)).toBe('title');
  });

  it('keeps a result once done: a late cancel, loss or delta changes nothing', () => {
    const finished = run([{ type: 'begin' }, start, { type: 'done', data: done() }]);
    expect(run([{ type: 'cancelled' }, { type: 'lost' }, delta('x')], finished)).toBe(finished);
  });

  it('stops as cancelled or lost with the text so far; begin starts afresh, reset goes idle', () => {
    const mid = run([{ type: 'begin' }, start, delta('Half')]);
    expect(run([{ type: 'cancelled' }], mid)).toMatchObject({ status: 'cancelled', text: 'Half' });
    expect(run([{ type: 'lost' }], mid)).toMatchObject({ status: 'lost', text: 'Half' });
    expect(isWritingActive(mid.status)).toBe(true);
    expect(isWritingActive(run([{ type: 'lost' }], mid).status)).toBe(false);
    expect(run([{ type: 'begin' }], run([{ type: 'lost' }], mid))).toEqual({ ...INITIAL_WRITING_STATE, status: 'sending' });
    expect(run([{ type: 'reset' }], mid)).toEqual(INITIAL_WRITING_STATE);
  });
});

describe('keywords', () => {
  it('splits on ASCII and Chinese commas, 、, semicolons and new lines; trims; drops blanks and repeats', () => {
    expect(parseKeywords('sleep, routine，健康、 Sleep ;; night\nday , ')).toEqual(['sleep', 'routine', '健康', 'night', 'day']);
    expect(parseKeywords('  ')).toEqual([]);
    expect(parseKeywords('one keyword with spaces')).toEqual(['one keyword with spaces']);
  });
});

describe('the form', () => {
  const plain = { needs_content: false };
  const rewrite = { needs_content: true };

  it('needs a title, and content only for a tool that takes it; counts as the server does', () => {
    expect(validateWritingForm(EMPTY_WRITING_FORM, plain)).toEqual({ title: 'Enter a title or topic.' });
    const titled = { ...EMPTY_WRITING_FORM, title: 'T' };
    expect(validateWritingForm(titled, plain)).toEqual({});
    expect(validateWritingForm(titled, rewrite)).toEqual({ content: 'Paste the text to work on.' });
    // 200 CJK characters are 200 (not 600 bytes).
    expect(validateWritingForm({ ...titled, title: '睡'.repeat(200) }, plain)).toEqual({});
    expect(validateWritingForm({ ...titled, title: '睡'.repeat(201) }, plain).title).toBe('At most 200 characters.');
    const many = Array.from({ length: 21 }, (_, i) => `k${i}`).join(',');
    expect(validateWritingForm({ ...titled, keywords: many }, plain).keywords).toBe('At most 20 keywords.');
    expect(validateWritingForm({ ...titled, keywords: 'x'.repeat(51) }, plain).keywords).toBe('A keyword is at most 50 characters.');
    expect(validateWritingForm({ ...titled, language: 'L'.repeat(41) }, plain).language).toBe('At most 40 characters.');
  });

  it('builds the body: trimmed, keywords as a list, empty fields and content (for other tools) left out', () => {
    const form = { title: '  Sleep well ', keywords: 'sleep, health', requirements: ' ', content: 'ignored', language: ' English ' };
    expect(writingRequest(form, plain)).toEqual({ title: 'Sleep well', keywords: ['sleep', 'health'], language: 'English' });
    expect(writingRequest({ ...form, keywords: '' }, rewrite, { model_id: 'm1' })).toEqual({ title: 'Sleep well', content: 'ignored', language: 'English', model_id: 'm1' });
  });

  it('maps a refused field to the form (by JSON path), with its message; other fields are none of the form’s', () => {
    expect(writingFieldOf({ field: 'body.keywords' })).toBe('keywords');
    expect(writingFieldOf({ field: 'model_id' })).toBeNull();
    expect(serverFieldErrors({ code: 'VALIDATION_ERROR', message: 'at most 20 keywords', retryable: false, field: 'keywords' })).toEqual({ keywords: 'at most 20 keywords' });
    expect(serverFieldErrors({ code: 'CREDITS_EXCEEDED', message: 'not enough credits', retryable: false })).toEqual({});
  });

  it('says in which language it writes when none is given', () => {
    expect(languagePlaceholder('translation')).toBe('English');
    expect(languagePlaceholder('wechat_article')).toBe('中文');
  });
});

describe('tools', () => {
  const tool = (over: Partial<Tool> = {}): Tool => ({
    type: 'video_script',
    name: '短视频脚本',
    name_en: 'Short video script',
    description: '分镜脚本',
    description_en: 'A script',
    version: 1,
    max_tokens: 2000,
    needs_content: false,
    sections: [],
    credits_cost: 12,
    model: 'gpt-x',
    ...over,
  });

  it('reads the name in the UI’s language and the most a generation costs', async () => {
    expect(toolName(tool(), 'en')).toBe('Short video script');
    expect(toolName(tool(), 'zh-CN')).toBe('短视频脚本');
    expect(toolCostLabel(tool())).toBe('≤ 12 credits');
    expect(toolCostLabel(tool({ credits_cost: 1 }))).toBe('≤ 1 credit');
    expect(toolCostLabel(tool({ credits_cost: 0, model: 'builtin' }))).toBe('Free (offline draft)');
    expect(toolCostLabel(tool({ credits_cost: 0 }))).toBe('Free');
    await i18n.changeLanguage('zh-CN');
    expect(toolCostLabel(tool({ credits_cost: 0, model: 'builtin' }))).toBe('免费（离线草稿）');
  });

  it('names a creation’s tool from the catalogue, else by its type or kind', () => {
    expect(creationToolLabel({ type: 'writing', tool_type: 'video_script' }, [tool()], 'en')).toBe('Short video script');
    expect(creationToolLabel({ type: 'writing', tool_type: 'poem' }, [tool()], 'en')).toBe('poem');
    expect(creationToolLabel({ type: 'ppt', tool_type: '' }, undefined, 'en')).toBe('Slide deck');
  });
});

describe('the creations filters', () => {
  it('go back to page 1 on a change; a tool goes with writing', () => {
    const onPage3 = changeCreationFilters(DEFAULT_CREATION_FILTERS, { type: 'page', page: 3 });
    expect(onPage3.page).toBe(3);
    const tool = changeCreationFilters(onPage3, { type: 'tool', tool: 'video_script' });
    expect(tool).toEqual({ type: 'all', tool: 'video_script', trashed: false, page: 1 });
    expect(changeCreationFilters(tool, { type: 'kind', kind: 'writing' }).tool).toBe('video_script');
    expect(changeCreationFilters(tool, { type: 'kind', kind: 'image' })).toEqual({ type: 'image', tool: '', trashed: false, page: 1 });
    expect(changeCreationFilters({ ...tool, type: 'image', tool: '' }, { type: 'tool', tool: 'resume' }).type).toBe('writing');
    expect(changeCreationFilters(onPage3, { type: 'trashed', trashed: true })).toMatchObject({ trashed: true, page: 1 });
    expect(changeCreationFilters(onPage3, { type: 'page', page: 0 }).page).toBe(1);
  });

  it('become the list’s query', () => {
    expect(creationsQuery(DEFAULT_CREATION_FILTERS)).toEqual({ page: 1, limit: 20 });
    expect(creationsQuery({ type: 'writing', tool: 'resume', trashed: true, page: 2 })).toEqual({ type: 'writing', toolType: 'resume', trashed: true, page: 2, limit: 20 });
    // A tool left over from writing does not narrow another kind.
    expect(creationsQuery({ type: 'video', tool: 'resume', trashed: false, page: 1 })).toEqual({ type: 'video', page: 1, limit: 20 });
  });
});
