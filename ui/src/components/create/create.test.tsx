import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { streamWriting, type Creation, type CreationItem, type Tool, type WritingStreamEvent } from '../../api/create';
import { keys } from '../../api/queries';
import { makeQueryClient } from '../../api/queryClient';
import type { Page } from '../../api/types';
import { i18n } from '../../i18n';
import {
  DEFAULT_CREATION_FILTERS,
  EMPTY_WRITING_FORM,
  INITIAL_WRITING_STATE,
  serverFieldErrors,
  writingStreamReducer,
  type WritingStreamState,
} from '../../lib/create';
import { createFetchTransport, setTransport } from '../../transport';
import { ToastProvider, type ToastInput } from '../Toasts';
import { CreatePage } from './CreatePage';
import { CreationFiltersBar, CreationsList, restoreWithToast, trashWithUndo } from './CreationsList';
import { CreationsPage } from './CreationsPage';
import { CreationBody } from './CreationView';
import { GenerationPanel } from './GenerationPanel';
import { ToolPicker } from './ToolPicker';
import { WritingForm } from './WritingForm';

const noop = () => undefined;
const count = (html: string, testId: string) => html.split(`data-testid="${testId}"`).length - 1;
const has = (html: string, testId: string) => count(html, testId) > 0;
/** The texts of every element with a test id (their first text run). */
const textsOf = (html: string, testId: string) => [...html.matchAll(new RegExp(`data-testid="${testId}"[^>]*>([^<]*)`, 'g'))].map((m) => m[1]);
/** The opening tag of the element with a test id. */
const tagOf = (html: string, testId: string) => new RegExp(`<[^<>]*data-testid="${testId}"[^<>]*>`).exec(html)?.[0] ?? '';
const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

type Call = { url: string; method: string; body?: unknown };

function install(respond: (call: Call) => Response) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const call: Call = { url, method: init?.method ?? 'GET' };
    if (typeof init?.body === 'string') call.body = JSON.parse(init.body);
    calls.push(call);
    return respond(call);
  });
  setTransport(createFetchTransport({ kind: 'browser', baseUrl: '', fetch }));
  return calls;
}

afterEach(async () => {
  setTransport(undefined);
  await i18n.changeLanguage('en');
});

/** The 14 tools as the server lists them (the built-in writer's: free), a few priced. */
const TOOL_TYPES: [string, string, string, boolean][] = [
  ['wechat_article', '公众号文章', 'WeChat article', false],
  ['xiaohongshu_note', '小红书笔记', 'Xiaohongshu note', false],
  ['official_document', '公文写作', 'Official document', false],
  ['academic_paper', '论文写作', 'Academic paper', false],
  ['marketing_copy', '营销文案', 'Marketing copy', false],
  ['news_article', '新闻稿/软文', 'Press release / advertorial', false],
  ['video_script', '短视频脚本', 'Short video script', false],
  ['story_novel', '故事/小说', 'Story / fiction', false],
  ['business_plan', '商业计划书', 'Business plan', false],
  ['work_report', '工作报告', 'Work report', false],
  ['resume', '简历/求职信', 'Resume / cover letter', false],
  ['lesson_plan', '教案/课件', 'Lesson plan / courseware', false],
  ['content_rewrite', '内容改写', 'Content rewrite', true],
  ['translation', '多语言翻译', 'Translation', true],
];

function tools(priced: Partial<Record<string, number>> = {}): Tool[] {
  return TOOL_TYPES.map(([type, name, name_en, needs_content]) => {
    const cost = priced[type] ?? 0;
    return {
      type,
      name,
      name_en,
      description: `${name}的说明`,
      description_en: `What a ${name_en} is`,
      version: 1,
      max_tokens: 2000,
      needs_content,
      sections: [],
      credits_cost: cost,
      model: cost > 0 ? 'gpt-x' : 'builtin',
    };
  });
}
const toolOf = (type: string, priced: Partial<Record<string, number>> = {}) => tools(priced).find((x) => x.type === type)!;

function creation(over: Partial<Creation> = {}): Creation {
  return {
    id: 'c1',
    type: 'writing',
    tool_type: 'video_script',
    title: 'The door',
    content: 'INT. HALL - NIGHT\n\nShe opens the door.',
    // As the server keeps it: every field, the defaults filled in.
    input: { content: '', keywords: ['door', 'night'], language: '中文', requirements: '60 seconds' },
    model: 'gpt-x',
    prompt_version: 'builtin:video_script@1',
    credits_used: 3,
    created_by: 'u1',
    created_at: '2026-05-01T10:00:00Z',
    updated_at: '2026-05-01T10:00:00Z',
    deleted_at: null,
    ...over,
  };
}

function item(over: Partial<CreationItem> = {}): CreationItem {
  return {
    id: 'c1',
    type: 'writing',
    tool_type: 'video_script',
    title: 'The door',
    content: 'INT. HALL - NIGHT',
    model: 'gpt-x',
    credits_used: 3,
    created_at: '2026-05-01T10:00:00Z',
    updated_at: '2026-05-01T10:00:00Z',
    deleted_at: null,
    ...over,
  };
}

function wrap(qc: QueryClient, node: ReactNode): string {
  return renderToStaticMarkup(
    <QueryClientProvider client={qc}>
      <ToastProvider>{node}</ToastProvider>
    </QueryClientProvider>,
  );
}

const running = (over: Partial<WritingStreamState>): WritingStreamState => ({ ...INITIAL_WRITING_STATE, status: 'streaming', ...over });

describe('the tool picker', () => {
  it('shows the 14 tools with their names in the UI’s language and the most each costs', async () => {
    const list = tools({ video_script: 12, translation: 1 });
    const html = renderToStaticMarkup(<ToolPicker tools={list} selected="video_script" onSelect={noop} />);
    expect(count(html, 'tool-card')).toBe(14);
    expect(textsOf(html, 'tool-name')).toContain('Short video script');
    const costs = textsOf(html, 'tool-cost');
    expect(costs[6]).toBe('≤ 12 credits');
    expect(costs[13]).toBe('≤ 1 credit');
    expect(costs[0]).toBe('Free (offline draft)');
    expect(html).toMatch(/aria-pressed="true"[^>]*data-tool="video_script"/);
    expect((html.match(/aria-pressed="true"/g) ?? []).length).toBe(1);

    await i18n.changeLanguage('zh-CN');
    const zh = renderToStaticMarkup(<ToolPicker tools={list} selected={null} onSelect={noop} />);
    expect(textsOf(zh, 'tool-name')).toContain('短视频脚本');
    expect(textsOf(zh, 'tool-cost')[0]).toBe('免费（离线草稿）');
    expect(zh).not.toContain('aria-pressed="true"');
  });
});

describe('the writing form', () => {
  it('asks for the text to work on only from a tool that needs it', () => {
    const plain = wrap(makeQueryClient(), <WritingForm tool={toolOf('video_script', { video_script: 12 })} form={EMPTY_WRITING_FORM} onChange={noop} onSubmit={noop} busy={false} />);
    for (const f of ['title', 'keywords', 'requirements', 'language']) expect(has(plain, `create-${f}`)).toBe(true);
    expect(has(plain, 'create-content')).toBe(false);
    expect(tagOf(plain, 'create-language')).toContain('placeholder="中文"');

    const translation = wrap(makeQueryClient(), <WritingForm tool={toolOf('translation')} form={EMPTY_WRITING_FORM} onChange={noop} onSubmit={noop} busy={false} />);
    expect(has(translation, 'create-content')).toBe(true);
    expect(translation).toContain('Text to translate');
    expect(translation).toContain('Translate into');
    expect(tagOf(translation, 'create-language')).toContain('placeholder="English"');
  });

  it('shows the cost before generating (naming the model), and warns when the balance is short', () => {
    const qc = makeQueryClient();
    qc.setQueryData([...keys.providers.all, 'model', 'gpt-x'], { id: 'gpt-x', name: 'gpt-x-2026', public_name: 'GPT X' });
    const priced = wrap(qc, <WritingForm tool={toolOf('video_script', { video_script: 12 })} form={EMPTY_WRITING_FORM} onChange={noop} onSubmit={noop} busy={false} available={5} />);
    expect(textsOf(priced, 'writing-cost-chip')).toEqual(['≤ 12 credits']);
    expect(priced).toContain('with GPT X:');
    expect(textsOf(priced, 'writing-available')).toEqual(['Available: 5 credits. Not enough for this generation.']);

    const offline = wrap(makeQueryClient(), <WritingForm tool={toolOf('resume')} form={EMPTY_WRITING_FORM} onChange={noop} onSubmit={noop} busy={false} available={5} />);
    expect(textsOf(offline, 'writing-cost-chip')).toEqual(['Free (offline draft)']);
    // Free: the balance does not matter.
    expect(has(offline, 'writing-available')).toBe(false);
    expect(offline).toContain('the built-in writer drafts it offline');
  });

  it('marks the field a 422 names (from the stream client), and only that one', async () => {
    install(() => json({ detail: 'keywords: at most 20 of 50 characters', error_code: 'VALIDATION_ERROR', retryable: false, field: 'keywords' }, 422));
    const events: WritingStreamEvent[] = [];
    await streamWriting('video_script', { title: 'The door', keywords: ['x'.repeat(60)] }, (e) => events.push(e));
    const state = events.reduce(writingStreamReducer, INITIAL_WRITING_STATE);
    const html = wrap(makeQueryClient(), <WritingForm
        tool={toolOf('video_script')}
        form={{ ...EMPTY_WRITING_FORM, title: 'The door', keywords: 'x'.repeat(60) }}
        onChange={noop}
        onSubmit={noop}
        busy={false}
        errors={serverFieldErrors(state.error)}
      />,
    );
    expect(tagOf(html, 'create-keywords')).toContain('aria-invalid="true"');
    expect(tagOf(html, 'create-keywords')).toContain('class="input invalid"');
    expect(textsOf(html, 'create-keywords-error')).toEqual(['keywords: at most 20 of 50 characters']);
    expect(tagOf(html, 'create-title')).not.toContain('aria-invalid');
    expect(has(html, 'create-title-error')).toBe(false);
  });

  it('shows the keywords as they will be sent, and waits while generating', () => {
    const html = wrap(makeQueryClient(), <WritingForm tool={toolOf('video_script')} form={{ ...EMPTY_WRITING_FORM, keywords: 'door，night, Door' }} onChange={noop} onSubmit={noop} busy />,
    );
    expect(textsOf(html, 'keyword-chip')).toEqual(['door', 'night']);
    expect(tagOf(html, 'create-generate')).toContain('disabled');
    expect(html).toContain('Generating…');
  });
});

describe('the generation', () => {
  it('streams into a read-only preview, with Stop watching and what it means', () => {
    const html = wrap(makeQueryClient(), <GenerationPanel state={running({ model: 'gpt-x', estimate: 12, text: 'INT. HALL', creationId: 'c1' })} onCancel={noop} canEdit />,
    );
    expect(textsOf(html, 'generation-preview')).toEqual(['INT. HALL']);
    expect(has(html, 'creation-content')).toBe(false);
    expect(has(html, 'generation-cancel')).toBe(true);
    expect(textsOf(html, 'generation-held')).toEqual(['Up to 12 credits held']);
    expect(html).toContain('the server finishes the text, saves it in Creations');
  });

  it('says a retry started over, and offers Try again only for a retryable error', () => {
    expect(has(wrap(makeQueryClient(), <GenerationPanel state={running({ attempt: 2 })} onCancel={noop} canEdit />), 'generation-restart')).toBe(true);
    const retryable = wrap(makeQueryClient(), <GenerationPanel state={running({ status: 'error', error: { code: 'UPSTREAM_FAILED', message: 'the provider failed', retryable: true } })} onCancel={noop} onRetry={noop} canEdit />,
    );
    expect(retryable).toContain('the provider failed');
    expect(retryable).toContain('Nothing was charged.');
    expect(has(retryable, 'generation-retry')).toBe(true);
    expect(has(retryable, 'generation-cancel')).toBe(false);
    const final = wrap(makeQueryClient(), <GenerationPanel state={running({ status: 'error', error: { code: 'CREDITS_EXCEEDED', message: 'not enough credits', retryable: false } })} onCancel={noop} onRetry={noop} canEdit />,
    );
    expect(has(final, 'generation-retry')).toBe(false);
    // The server's words may say it already: not twice.
    const said = wrap(makeQueryClient(), 
      <GenerationPanel state={running({ status: 'error', error: { code: 'UPSTREAM_FAILED', message: 'the model answered with nothing; nothing was charged', retryable: true } })} onCancel={noop} canEdit />,
    );
    expect(said).toContain('nothing was charged</span>');
    expect(said).not.toContain('Nothing was charged.');
  });

  it('once done: the text to edit, Save, Copy, Open as project for a video script, and what it cost', () => {
    const qc = makeQueryClient();
    const doneState = (c: Creation) =>
      writingStreamReducer(running({}), { type: 'done', data: { creation_id: c.id, content: c.content, credits_used: c.credits_used, creation: c } });
    const html = wrap(qc, <GenerationPanel state={doneState(creation())} onCancel={noop} canEdit />);
    expect(has(html, 'generation-preview')).toBe(false);
    expect(tagOf(html, 'creation-content')).not.toMatch(/readonly/i);
    expect(html).toContain('She opens the door.');
    expect(has(html, 'creation-save')).toBe(true);
    expect(has(html, 'creation-copy')).toBe(true);
    expect(has(html, 'creation-open-project')).toBe(true);
    expect(textsOf(html, 'generation-credits')).toEqual(['Charged: 3 credits']);

    const article = wrap(qc, <GenerationPanel state={doneState(creation({ id: 'c2', tool_type: 'wechat_article', credits_used: 0, model: 'builtin' }))} onCancel={noop} canEdit />);
    expect(has(article, 'creation-open-project')).toBe(false);
    expect(textsOf(article, 'generation-credits')).toEqual(['Free']);
  });

  it('the page shows the picker and, for a chosen tool, its form beside the result', () => {
    const qc = makeQueryClient();
    qc.setQueryData(keys.creations.tools(''), tools({ video_script: 12 }));
    qc.setQueryData(keys.credits.balance, { available: 40 });
    const html = wrap(qc, <CreatePage initialTool="video_script" />);
    expect(count(html, 'tool-card')).toBe(14);
    expect(html).toContain('data-tool="video_script"');
    expect(has(html, 'writing-form')).toBe(true);
    expect(textsOf(html, 'writing-form-title')).toEqual(['Short video script']);
    expect(has(html, 'generation-idle')).toBe(true);
    expect(textsOf(html, 'create-balance')).toEqual(['Balance: 40 credits']);
    expect(tagOf(html, 'open-creations')).toContain('href="#/creations"');

    const none = wrap(qc, <CreatePage initialTool="no_such_tool" />);
    expect(has(none, 'writing-form')).toBe(false);
    expect(has(none, 'create-pick-hint')).toBe(true);
  });
});

describe('creations', () => {
  it('lists title, tool name, excerpt, date and cost; the trash offers Restore instead of Delete', () => {
    const list = tools();
    const items = [item(), item({ id: 'c2', tool_type: 'resume', title: 'CV', credits_used: 0, content: 'Jane Doe' })];
    const html = renderToStaticMarkup(<CreationsList items={items} tools={list} trashed={false} openId="c2" onOpen={noop} onDelete={noop} onRestore={noop} />);
    expect(count(html, 'creation-item')).toBe(2);
    expect(textsOf(html, 'creation-item-title')).toEqual(['The door', 'CV']);
    expect(textsOf(html, 'creation-item-tool')).toEqual(['Short video script', 'Resume / cover letter']);
    expect(textsOf(html, 'creation-item-credits')).toEqual(['Charged: 3 credits', 'Free']);
    expect(html).toContain('Jane Doe');
    expect(html).toContain('aria-current="true"');
    expect(count(html, 'creation-delete')).toBe(2);
    expect(has(html, 'creation-restore')).toBe(false);

    const trash = renderToStaticMarkup(
      <CreationsList items={[item({ deleted_at: '2026-05-03T10:00:00Z' })]} tools={list} trashed openId={null} onOpen={noop} onDelete={noop} onRestore={noop} />,
    );
    expect(has(trash, 'creation-restore')).toBe(true);
    expect(has(trash, 'creation-delete')).toBe(false);
    expect(trash).toContain('deleted May 3, 2026');
    // A viewer: no buttons at all.
    const viewer = renderToStaticMarkup(<CreationsList items={items} tools={list} trashed={false} openId={null} onOpen={noop} />);
    expect(has(viewer, 'creation-delete')).toBe(false);
  });

  it('filters by kind and tool; the tool filter shows only for writing', () => {
    const list = tools();
    const all = renderToStaticMarkup(<CreationFiltersBar filters={{ ...DEFAULT_CREATION_FILTERS, tool: 'resume' }} tools={list} onChange={noop} total={3} />);
    expect(has(all, 'creations-tool-filter')).toBe(true);
    expect(all).toMatch(/<option value="resume" selected="">Resume \/ cover letter<\/option>/);
    expect(textsOf(all, 'creations-count')).toEqual(['3 creations']);
    expect(tagOf(all, 'creations-view-active')).toContain('aria-pressed="true"');

    const images = renderToStaticMarkup(<CreationFiltersBar filters={{ ...DEFAULT_CREATION_FILTERS, type: 'image', trashed: true }} tools={list} onChange={noop} total={1} />);
    expect(has(images, 'creations-tool-filter')).toBe(false);
    expect(images).toMatch(/<option value="image" selected="">Image<\/option>/);
    expect(tagOf(images, 'creations-view-trash')).toContain('aria-pressed="true"');
    expect(textsOf(images, 'creations-count')).toEqual(['1 creation in the trash']);
  });

  it('the page reads the list for its filters', () => {
    const qc = makeQueryClient();
    const page: Page<CreationItem> = { items: [item({ id: 'c7', title: 'Resume', tool_type: 'resume' })], total: 1, page: 1, limit: 20, totalPages: 1 };
    qc.setQueryData(keys.creations.list({ type: 'writing', toolType: 'resume', page: 1, limit: 20 }), page);
    qc.setQueryData(keys.creations.tools(''), tools());
    const html = wrap(qc, <CreationsPage initialFilters={{ type: 'writing', tool: 'resume', trashed: false, page: 1 }} />);
    expect(textsOf(html, 'creation-item-title')).toEqual(['Resume']);
    expect(textsOf(html, 'creation-item-tool')).toEqual(['Resume / cover letter']);
    expect(tagOf(html, 'new-creation')).toContain('href="#/create"');
    // Another filter is another read: nothing cached for it yet.
    const other = wrap(qc, <CreationsPage initialFilters={{ ...DEFAULT_CREATION_FILTERS, trashed: true }} />);
    expect(has(other, 'creation-item')).toBe(false);
  });

  it('Delete moves it to the trash with an Undo that restores it', async () => {
    const calls = install((c) => json(creation(c.method === 'DELETE' ? { deleted_at: '2026-05-02T10:00:00Z' } : {})));
    const qc = makeQueryClient();
    const toasts: ToastInput[] = [];
    expect(await trashWithUndo(qc, item(), (x) => toasts.push(x))).toBe(true);
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(['DELETE /api/v1/creations/c1']);
    expect(toasts).toHaveLength(1);
    expect(toasts[0]).toMatchObject({ kind: 'info', message: '“The door” moved to the trash.', action: { label: 'Undo', testId: 'undo-delete-creation' } });

    toasts[0]!.action!.onClick();
    await vi.waitFor(() => expect(toasts).toHaveLength(2));
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(['DELETE /api/v1/creations/c1', 'POST /api/v1/creations/c1/restore']);
    expect(toasts[1]).toMatchObject({ kind: 'success', message: '“The door” restored.' });
  });

  it('a failed delete or restore says why and offers no Undo', async () => {
    install(() => json({ detail: 'creation not found', error_code: 'NOT_FOUND', retryable: false }, 404));
    const toasts: ToastInput[] = [];
    expect(await trashWithUndo(makeQueryClient(), item(), (x) => toasts.push(x))).toBe(false);
    expect(await restoreWithToast(makeQueryClient(), item(), (x) => toasts.push(x))).toBe(false);
    expect(toasts.map((x) => [x.kind, x.message, x.action])).toEqual([
      ['error', 'creation not found', undefined],
      ['error', 'creation not found', undefined],
    ]);
  });

  it('opens a creation: full text to edit, what was asked, and read-only in the trash', () => {
    const qc = makeQueryClient();
    const html = wrap(qc, <CreationBody creation={creation()} tools={tools()} canEdit onDelete={noop} onRestore={noop} />);
    expect(html).toContain('She opens the door.');
    expect(textsOf(html, 'creation-tool')).toEqual(['Short video script']);
    expect(html).toContain('door, night');
    expect(html).toContain('60 seconds');
    expect(html).toContain('中文');
    expect(html).not.toContain('Source text');
    const translated = wrap(qc, <CreationBody creation={creation({ id: 'c3', tool_type: 'translation', input: { content: '你好，世界', language: 'English' } })} tools={tools()} canEdit />);
    expect(translated).toContain('Source text');
    expect(translated).toContain('你好，世界');
    expect(has(translated, 'creation-open-project')).toBe(false);
    expect(has(html, 'creation-open-project')).toBe(true);
    expect(has(html, 'creation-view-delete')).toBe(true);

    const trashed = wrap(qc, <CreationBody creation={creation({ deleted_at: '2026-05-03T10:00:00Z' })} tools={tools()} canEdit onDelete={noop} onRestore={noop} />);
    expect(has(trashed, 'creation-trashed')).toBe(true);
    expect(tagOf(trashed, 'creation-content')).toMatch(/readonly/i);
    expect(has(trashed, 'creation-save')).toBe(false);
    expect(has(trashed, 'creation-open-project')).toBe(false);
    expect(has(trashed, 'creation-view-restore')).toBe(true);
    expect(has(trashed, 'creation-copy')).toBe(true);
  });
});
