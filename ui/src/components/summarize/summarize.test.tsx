import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { keys } from '../../api/queries';
import { makeQueryClient } from '../../api/queryClient';
import { INITIAL_STREAM_STATE, type BatchJob, type HistoryEntry, type HistoryItem, type SummaryStreamState } from '../../api/summarize';
import type { Page } from '../../api/types';
import { i18n } from '../../i18n';
import { createFetchTransport, setTransport } from '../../transport';
import { ToastProvider } from '../Toasts';
import { Analyzer } from './Analyzer';
import { BatchCardView } from './BatchSection';
import { MindMapTree } from './MindMapTree';
import { ReferencePanel } from './ReferencePanel';
import { loadScriptDraft, ScriptDraftDialog, useScriptDraft, type ScriptTarget } from './ScriptDraft';
import { StreamProgress } from './StreamProgress';
import { SummarizeForm } from './SummarizeForm';
import { SummaryResult } from './SummaryResult';

const noop = () => undefined;
const count = (html: string, testId: string) => html.split(`data-testid="${testId}"`).length - 1;
const has = (html: string, testId: string) => count(html, testId) > 0;
/** The texts of every element with a test id (their first text run). */
const textsOf = (html: string, testId: string) => [...html.matchAll(new RegExp(`data-testid="${testId}"[^>]*>([^<]*)`, 'g'))].map((m) => m[1]);
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

function entry(over: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    id: 's1',
    title: 'Episode 1 — the door',
    project_id: 'p1',
    source_url: 'https://v.example/ep1.mp4',
    source_name: 'ep1.mp4',
    source_sha256: null,
    mode: 'beats',
    focus: '',
    model: 'gpt-x',
    transcript_source: 'asr',
    duration_ms: 95_000,
    transcript: [
      { start_ms: 0, end_ms: 2500, text: '她推开门' },
      { start_ms: 2500, end_ms: 6000, text: '没想到是他' },
    ],
    summary: '## Plot\nShe opens the door and **he** is there.',
    mindmap: '- Episode 1\n  - Hook [00:00]\n  - Reversal [00:42]',
    beats: [
      { kind: 'hook', start_ms: 0, end_ms: 3000, text: 'She opens the door' },
      { kind: 'setup', start_ms: 3000, end_ms: 24_000, text: 'Who she waits for' },
      { kind: 'reversal', start_ms: 42_000, end_ms: 65_500, text: 'It is him' },
      { kind: 'cliffhanger', start_ms: 90_000, end_ms: 95_000, text: 'The phone rings' },
    ],
    usage: { audio_seconds: 95, asr_calls: 1, llm_calls: 1, prompt_tokens: 1200, completion_tokens: 300, credits_charged: 4, cached: false },
    credits_charged: 4,
    cached_from: null,
    created_by: 'u1',
    created_at: '2026-05-01T10:00:00Z',
    deleted_at: null,
    ...over,
  };
}

function item(over: Partial<HistoryItem> = {}): HistoryItem {
  return {
    id: 's1',
    title: 'Episode 1 — the door',
    project_id: 'p1',
    source_url: null,
    source_name: 'ep1.mp4',
    mode: 'beats',
    focus: '',
    model: 'gpt-x',
    transcript_source: 'asr',
    duration_ms: 95_000,
    excerpt: 'She opens the door.',
    beat_count: 4,
    credits_charged: 4,
    cached: false,
    created_at: '2026-05-01T10:00:00Z',
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

const target = (text = 'INT. OLD - DAY'): ScriptTarget & { replaced: string[] } => {
  const replaced: string[] = [];
  return { replaced, current: () => text, replace: (t) => replaced.push(t) };
};

describe('the reference panel', () => {
  it('shows a finished analysis: cost, tabs, the beat sheet with kinds and mm:ss–mm:ss, and the script-draft button', () => {
    install(() => json({}));
    const qc = makeQueryClient();
    qc.setQueryData(keys.summaries.one('s1'), entry());
    const html = wrap(qc, <Analyzer projectId="p1" canStart scriptTarget={target()} openId="s1" onOpenId={noop} compact />);
    expect(has(html, 'summary-result')).toBe(true);
    expect(html).toContain('data-summary-id="s1"');
    expect(textsOf(html, 'summary-cost')).toEqual(['Charged: 4 credits']);
    // A beats-mode summary opens on its beats.
    expect(has(html, 'result-panel-beats')).toBe(true);
    expect(count(html, 'beat')).toBe(4);
    expect(textsOf(html, 'beat-kind')).toEqual(['Hook', 'Setup', 'Reversal', 'Cliffhanger']);
    expect(textsOf(html, 'beat-time')).toEqual(['00:00–00:03', '00:03–00:24', '00:42–01:05', '01:30–01:35']);
    expect(html).toContain('It is him');
    expect(has(html, 'beats-hint')).toBe(true);
    expect(has(html, 'script-draft')).toBe(true);
    expect(html).toContain('Start a script from these beats');
    // The form is there to start another, with what it costs.
    expect(has(html, 'summarize-form')).toBe(true);
    expect(html).toContain('charged only when the summary completes');
  });

  it('offers no script draft to someone who may not edit, nor for a summary without beats', () => {
    install(() => json({}));
    const qc = makeQueryClient();
    qc.setQueryData(keys.summaries.one('s1'), entry());
    expect(has(wrap(qc, <Analyzer canStart={false} scriptTarget={null} openId="s1" onOpenId={noop} />), 'script-draft')).toBe(false);
    const html = renderToStaticMarkup(
      <SummaryResult
        doc={{ id: 's2', title: null, summary: 'x', mindmap: '', beats: [], transcript: [], mode: 'brief', focus: '', model: 'extractive', cached: true, creditsCharged: 0 }}
        onScriptDraft={noop}
      />,
    );
    expect(has(html, 'script-draft')).toBe(false);
    expect(textsOf(html, 'summary-cost')).toEqual(['Cache hit: free']);
    expect(has(html, 'result-panel-summary')).toBe(true);
  });

  it('lists the project’s earlier analyses (GET /history?project_id=)', () => {
    install(() => json({}));
    const qc = makeQueryClient();
    const page: Page<HistoryItem> = { items: [item(), item({ id: 's0', title: 'Episode 0', cached: true, credits_charged: 0 })], total: 2, page: 1, limit: 8, totalPages: 1 };
    qc.setQueryData(keys.summaries.list({ projectId: 'p1', page: 1, limit: 8 }), page);
    const html = wrap(qc, <ReferencePanel projectId="p1" canEdit scriptTarget={target()} onClose={noop} />);
    expect(has(html, 'reference-panel')).toBe(true);
    expect(count(html, 'history-item')).toBe(2);
    expect(textsOf(html, 'history-cost')).toEqual(['Charged: 4 credits', 'Cache hit: free']);
    expect(html).toContain('4 beats');
  });

  it('the script-draft button’s action POSTs /history/{id}/script and opens the confirm with the draft', async () => {
    const calls = install(() => json({ title: 'Episode 1', script: 'INT. HALL - NIGHT\n\nShe opens the door.' }));
    let api: ReturnType<typeof useScriptDraft> | null = null;
    function Probe() {
      api = useScriptDraft(target());
      return null;
    }
    wrap(makeQueryClient(), <Probe />);
    await api!.start('s1');
    expect(calls).toEqual([{ url: '/api/v1/history/s1/script', method: 'POST', body: {} }]);

    const errors: string[] = [];
    install(() => json({ detail: 'the summary has no beat sheet', error_code: 'CONFLICT', retryable: false }, 409));
    expect(await loadScriptDraft('s9', (m) => errors.push(m))).toBeNull();
    expect(errors).toEqual(['the summary has no beat sheet']);
  });

  it('replaces the editor’s text only from the confirm dialog; otherwise offers a copy', () => {
    const draft = { title: 'Episode 1', script: 'INT. HALL - NIGHT' };
    const withEditor = renderToStaticMarkup(<ScriptDraftDialog draft={draft} currentChars={14} onReplace={noop} onCopy={noop} onClose={noop} />);
    expect(has(withEditor, 'script-draft-replace')).toBe(true);
    expect(has(withEditor, 'script-draft-copy')).toBe(true);
    expect(withEditor).toContain('Replace the script in the editor (14 characters) with this draft?');
    expect(withEditor).toContain('INT. HALL - NIGHT');
    const copyOnly = renderToStaticMarkup(<ScriptDraftDialog draft={draft} currentChars={null} onCopy={noop} onClose={noop} />);
    expect(has(copyOnly, 'script-draft-replace')).toBe(false);
    expect(has(copyOnly, 'script-draft-copy')).toBe(true);
  });
});

describe('progress', () => {
  const state = (over: Partial<SummaryStreamState>): SummaryStreamState => ({ ...INITIAL_STREAM_STATE, phase: 'running', ...over });

  it('shows the stage and a progress bar', () => {
    const html = renderToStaticMarkup(<StreamProgress state={state({ stage: 'transcribing', message: 'Transcribing piece 2 of 4', progress: 0.5 })} onCancel={noop} />);
    expect(textsOf(html, 'summarize-stage')).toEqual(['Transcribing the speech']);
    expect(html).toContain('aria-valuenow="50"');
    expect(html).toContain('width:50%');
    expect(html).toContain('Transcribing piece 2 of 4');
  });

  it('shows NO_TRANSCRIPT in the UI’s language, with what to do and that nothing was charged', async () => {
    await i18n.changeLanguage('zh-CN');
    const html = renderToStaticMarkup(
      <StreamProgress state={state({ phase: 'error', error: { code: 'NO_TRANSCRIPT', message: 'no subtitles', retryable: false } })} onCancel={noop} onRetry={noop} />,
    );
    expect(html).toContain('视频没有字幕，也无法识别出语音');
    expect(html).toContain('未扣除积分');
    expect(has(html, 'summarize-retry')).toBe(false);
  });

  it('says where a lost analysis goes (the history)', () => {
    const html = renderToStaticMarkup(<StreamProgress state={state({ phase: 'lost', lost: 'gone' })} onCancel={noop} />);
    expect(html).toContain('data-reason="gone"');
    expect(html).toContain('history');
  });
});

describe('the form, the mind map, batches', () => {
  it('defaults to the beats mode and says what is charged', () => {
    const html = renderToStaticMarkup(<SummarizeForm busy={false} onStart={noop} />);
    expect(html).toMatch(/<option value="beats" selected="">Beat sheet<\/option>/);
    expect(textsOf(html, 'summarize-cost-note')[0]).toContain('cache hit');
  });

  it('draws the mind map as a tree with time chips', () => {
    const html = renderToStaticMarkup(<MindMapTree markdown={'- Episode 1\n  - Hook [00:00]\n    - door\n  - Reversal [00:42]'} />);
    expect(html).toContain('data-count="4"');
    expect(count(html, 'mindmap-node')).toBe(4);
    expect(textsOf(html, 'mindmap-time')).toEqual(['00:00', '00:42']);
    expect(html).toContain('aria-expanded="true"');
  });

  it('shows a batch’s cost, its results and its errors', () => {
    const job: BatchJob = {
      job_id: 'b1',
      status: 'partial',
      progress: 1,
      total: 2,
      completed_count: 1,
      failed_count: 1,
      results: [{ index: 0, url: 'https://v.example/1.mp4', summary_id: 's1', credits_charged: 3 }],
      errors: [{ index: 1, url: 'https://v.example/2.mp4', code: 'NO_TRANSCRIPT', message: 'no speech recognised' }],
      mode: 'beats',
      focus: '',
      credits_charged: 3,
      created_at: '2026-05-01T10:00:00Z',
      completed_at: '2026-05-01T10:05:00Z',
    };
    const html = renderToStaticMarkup(<BatchCardView job={job} onOpen={noop} />);
    expect(textsOf(html, 'batch-status')).toEqual(['Partly failed']);
    expect(textsOf(html, 'batch-cost')).toEqual(['Charged: 3 credits']);
    expect(textsOf(html, 'batch-result')).toEqual(['https://v.example/1.mp4']);
    expect(html).toContain('data-code="NO_TRANSCRIPT"');
    expect(html).toContain('no speech recognised');
    expect(has(html, 'progress')).toBe(false);
  });
});
