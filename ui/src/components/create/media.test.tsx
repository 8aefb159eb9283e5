import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it } from 'vitest';
import type { Creation, CreationItem, DeckMade, DeckRequest, ImageMade, ImageRequest, VideoTask } from '../../api/create';
import { keys } from '../../api/queries';
import { makeQueryClient } from '../../api/queryClient';
import { i18n } from '../../i18n';
import { EMPTY_DECK_FORM } from '../../lib/create';
import { ApiError } from '../../transport';
import { ToastProvider } from '../Toasts';
import { CreatePage } from './CreatePage';
import { CreationsList } from './CreationsList';
import { CreationBody } from './CreationView';
import { DeckTool } from './DeckTool';
import { ImageTool } from './ImageTool';
import type { MediaRequestState } from './useMediaRequest';
import { VideoTaskPanel } from './VideoTool';

const noop = () => undefined;
const count = (html: string, testId: string) => html.split(`data-testid="${testId}"`).length - 1;
const has = (html: string, testId: string) => count(html, testId) > 0;
const textsOf = (html: string, testId: string) => [...html.matchAll(new RegExp(`data-testid="${testId}"[^>]*>([^<]*)`, 'g'))].map((m) => m[1]);
const tagOf = (html: string, testId: string) => new RegExp(`<[^<>]*data-testid="${testId}"[^<>]*>`).exec(html)?.[0] ?? '';

afterEach(async () => {
  await i18n.changeLanguage('en');
});

function wrap(qc: QueryClient, node: ReactNode): string {
  return renderToStaticMarkup(
    <QueryClientProvider client={qc}>
      <ToastProvider>{node}</ToastProvider>
    </QueryClientProvider>,
  );
}

function creation(over: Partial<Creation> = {}): Creation {
  return {
    id: 'c1',
    type: 'ppt',
    tool_type: '',
    title: 'Launch',
    content: '# Launch\n\n## Why now\n- the market',
    input: {},
    model: 'builtin',
    prompt_version: 'builtin:ppt@1',
    credits_used: 0,
    created_by: 'u1',
    created_at: '2026-05-01T10:00:00Z',
    updated_at: '2026-05-01T10:00:00Z',
    deleted_at: null,
    file_name: 'Launch.pptx',
    file_sha256: 'abc',
    ...over,
  };
}

function failed<B, R>(error: unknown): MediaRequestState<B, R> {
  return { status: 'error', result: null, error, since: null, last: null };
}

describe('the deck tool', () => {
  it('splits the outline into a slide a line, and shows each slide’s title and bullets', () => {
    const outline = 'Why now\n\n  Core features：离线；多端同步\nPricing\n   ';
    const html = wrap(makeQueryClient(), <DeckTool canEdit initialForm={{ ...EMPTY_DECK_FORM, topic: 'Launch', outline }} />);
    expect(textsOf(html, 'deck-slide-count')).toEqual(['4 slides: the title slide and 3 points']);
    expect(count(html, 'deck-outline-point')).toBe(3);
    expect(html).toContain('<strong>Core features</strong><span class="muted"> — 离线 · 多端同步</span>');
    expect(html).toContain('标题：要点一；要点二');
    expect(has(html, 'deck-idle')).toBe(true);
    expect(tagOf(html, 'deck-generate')).not.toContain('disabled');
  });

  it('marks the field a 422 names (no alert), and links a 402 to Credits', () => {
    const refused = new ApiError(422, { detail: 'outline: at most 30 points', error_code: 'VALIDATION_ERROR', retryable: false, field: 'outline' });
    const html = wrap(makeQueryClient(), <DeckTool canEdit initialForm={{ ...EMPTY_DECK_FORM, outline: 'a' }} initialState={failed<DeckRequest, DeckMade>(refused)} />);
    expect(tagOf(html, 'deck-outline')).toContain('aria-invalid="true"');
    expect(textsOf(html, 'deck-outline-error')).toEqual(['outline: at most 30 points']);
    expect(tagOf(html, 'deck-topic')).not.toContain('aria-invalid');
    expect(has(html, 'deck-error')).toBe(false);

    const credits = new ApiError(402, { detail: 'not enough credits: 3 available, 12 needed', error_code: 'CREDITS_EXCEEDED', retryable: false });
    const poor = wrap(makeQueryClient(), <DeckTool canEdit initialState={failed<DeckRequest, DeckMade>(credits)} />);
    expect(tagOf(poor, 'deck-error')).toContain('data-code="CREDITS_EXCEEDED"');
    expect(poor).toContain('not enough credits: 3 available, 12 needed Nothing was charged.');
    expect(tagOf(poor, 'deck-error-credits')).toContain('href="#/credits"');
    expect(has(poor, 'deck-error-retry')).toBe(false);
  });

  it('waits while the deck is made, then shows its slides, cost and the .pptx to download', () => {
    const sending = wrap(makeQueryClient(), <DeckTool canEdit initialState={{ status: 'sending', result: null, error: null, since: Date.now(), last: null }} />);
    expect(has(sending, 'deck-progress')).toBe(true);
    expect(tagOf(sending, 'deck-generate')).toContain('disabled');
    expect(sending).toContain('If you leave this page it is still made and saved in Creations.');

    const made: DeckMade = { ppt_id: 'c1', creation_id: 'c1', download_url: '/api/v1/creations/c1/file', slide_count: 4, credits_used: 5, creation: creation({ credits_used: 5 }) };
    const done = wrap(makeQueryClient(), <DeckTool canEdit initialState={{ status: 'done', result: made, error: null, since: null, last: null }} />);
    expect(textsOf(done, 'deck-slides')).toEqual(['4 slides']);
    expect(textsOf(done, 'deck-credits')).toEqual(['Charged: 5 credits']);
    const link = tagOf(done, 'deck-download');
    expect(link).toContain('href="/api/v1/creations/c1/file"');
    expect(link).toContain('download="Launch.pptx"');
    expect(done).toContain('Download .pptx');
  });
});

describe('the image tool', () => {
  it('offers the four sizes, and shows the picture once drawn', () => {
    const html = wrap(makeQueryClient(), <ImageTool canEdit />);
    const options = [...html.matchAll(/<option value="([^"]+)"[^>]*>([^<]*)</g)].map((m) => `${m[1]} ${m[2]}`);
    expect(options).toEqual(['1024x1024 Square · 1024×1024', '720x1280 Portrait · 720×1280', '1280x720 Landscape · 1280×720', '768x1024 Portrait · 768×1024']);

    const made: ImageMade = { image_url: '/api/v1/creations/c2/file', creation_id: 'c2', credits_used: 0, creation: creation({ id: 'c2', type: 'image', title: 'A rainy street' }) };
    const done = wrap(makeQueryClient(), <ImageTool canEdit initialState={{ status: 'done', result: made, error: null, since: null, last: null } as MediaRequestState<ImageRequest, ImageMade>} />);
    expect(tagOf(done, 'image-result')).toContain('data-src="/api/v1/creations/c2/file"');
    expect(textsOf(done, 'image-credits')).toEqual(['Free']);
  });
});

function task(over: Partial<VideoTask> = {}): VideoTask {
  return {
    task_id: 't1',
    status: 'processing',
    stage: 'running the animatic workflow (3/8)',
    progress: 0.41,
    video_url: null,
    creation_id: null,
    project_id: 'p1',
    credits_used: 0,
    error: null,
    created_at: '2026-05-01T10:00:00Z',
    updated_at: '2026-05-01T10:00:00Z',
    ...over,
  };
}

describe('the video tool', () => {
  it('shows the stage and a progress bar while it runs', () => {
    const html = wrap(makeQueryClient(), <VideoTaskPanel task={task()} canEdit onAnother={noop} />);
    expect(textsOf(html, 'video-status')).toEqual(['Making the video']);
    expect(textsOf(html, 'video-stage')).toEqual(['running the animatic workflow (3/8)']);
    expect(tagOf(html, 'video-progress')).toContain('aria-valuenow="41"');
    expect(html).toContain('style="width:41%"');
    expect(has(html, 'video-player')).toBe(false);
    expect(has(html, 'video-another')).toBe(false);
  });

  it('once completed: the video, its project, Creations and Publish', () => {
    const html = wrap(
      makeQueryClient(),
      <VideoTaskPanel task={task({ status: 'completed', stage: 'done', progress: 1, video_url: '/api/v1/creations/c9/file', creation_id: 'c9' })} canEdit onAnother={noop} />,
    );
    expect(textsOf(html, 'video-status')).toEqual(['Done']);
    expect(tagOf(html, 'video-player')).toContain('data-src="/api/v1/creations/c9/file"');
    expect(tagOf(html, 'video-project-link')).toContain('href="#/projects/p1"');
    expect(tagOf(html, 'video-creations-link')).toContain('href="#/creations"');
    expect(has(html, 'video-publish')).toBe(true);
    expect(textsOf(html, 'video-credits')).toEqual(['Free']);
  });

  it('once failed: why, and its project to look at', () => {
    const html = wrap(makeQueryClient(), <VideoTaskPanel task={task({ status: 'failed', error: 'the export was cancelled' })} canEdit onAnother={noop} />);
    expect(textsOf(html, 'video-failed')).toEqual(['the export was cancelled']);
    expect(tagOf(html, 'video-progress')).toContain('aria-valuenow="41"');
    expect(has(html, 'video-player')).toBe(false);
    expect(has(html, 'video-publish')).toBe(false);
    expect(has(html, 'video-project-link')).toBe(true);
  });
});

describe('the Create page', () => {
  it('shows Decks · Images · Videos beside the writing tools, and the chosen one’s form', () => {
    const qc = makeQueryClient();
    qc.setQueryData(keys.creations.tools(''), []);
    const html = wrap(qc, <CreatePage initialTool="deck" initialVideoTask={null} />);
    expect(count(html, 'media-card')).toBe(3);
    expect(html).toMatch(/aria-pressed="true"[^>]*data-tool="deck"/);
    expect(has(html, 'deck-form')).toBe(true);
    expect(has(html, 'writing-form')).toBe(false);
    expect(has(html, 'create-pick-hint')).toBe(false);
    expect(has(html, 'image-form')).toBe(false);
  });

  it('follows the video task the address names', () => {
    const qc = makeQueryClient();
    qc.setQueryData(keys.creations.tools(''), []);
    qc.setQueryData(keys.creations.videoTask('t1'), task());
    const html = wrap(qc, <CreatePage initialTool="video" initialVideoTask="t1" />);
    expect(tagOf(html, 'video-task')).toContain('data-task-id="t1"');
    expect(tagOf(html, 'video-task')).toContain('data-status="processing"');
    expect(has(html, 'video-idle')).toBe(false);
  });
});

describe('Publish from Creations', () => {
  const item = (over: Partial<CreationItem>): CreationItem => ({
    id: 'c1',
    type: 'writing',
    tool_type: 'wechat_article',
    title: 'Sleep well',
    content: '',
    model: 'builtin',
    credits_used: 0,
    created_at: '2026-05-01T10:00:00Z',
    updated_at: '2026-05-01T10:00:00Z',
    deleted_at: null,
    ...over,
  });

  it('offers Publish for articles and videos only, and not in the trash', () => {
    const items = [item({}), item({ id: 'c2', type: 'video', tool_type: '' }), item({ id: 'c3', type: 'image', tool_type: '' }), item({ id: 'c4', type: 'ppt', tool_type: '' })];
    const html = renderToStaticMarkup(<CreationsList items={items} tools={[]} trashed={false} openId={null} onOpen={noop} onPublish={noop} />);
    expect(count(html, 'creation-publish')).toBe(2);
    expect(html).toContain('aria-label="Publish “Sleep well”"');
    const trash = renderToStaticMarkup(<CreationsList items={items} tools={[]} trashed openId={null} onOpen={noop} onPublish={noop} />);
    expect(has(trash, 'creation-publish')).toBe(false);
    const viewer = renderToStaticMarkup(<CreationsList items={items} tools={[]} trashed={false} openId={null} onOpen={noop} />);
    expect(has(viewer, 'creation-publish')).toBe(false);
  });

  it('a creation’s view: Publish for an article; a deck’s file to download', () => {
    const qc = makeQueryClient();
    const article = wrap(qc, <CreationBody creation={creation({ type: 'writing', tool_type: 'wechat_article', file_name: null, file_sha256: null })} tools={[]} canEdit onPublish={noop} />);
    expect(has(article, 'creation-view-publish')).toBe(true);
    expect(has(article, 'creation-download')).toBe(false);
    const deck = wrap(qc, <CreationBody creation={creation()} tools={[]} canEdit onPublish={noop} />);
    expect(has(deck, 'creation-view-publish')).toBe(false);
    expect(tagOf(deck, 'creation-download')).toContain('href="/api/v1/creations/c1/file"');
  });
});
