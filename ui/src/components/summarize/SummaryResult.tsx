import { Fragment, useId, useState, type ReactNode } from 'react';
import type { Mode, SummaryDoc } from '../../api/summarize';
import { useLocale, useT } from '../../i18n';
import { formatCount } from '../../lib/format';
import { formatClock, MODE_LABELS } from '../../lib/summarize';
import { FileTextIcon } from '../Icons';
import { BeatList } from './BeatList';
import { MindMapTree } from './MindMapTree';
import { ShareSummaryButton } from './ShareSummaryButton';

export const RESULT_TABS = ['summary', 'beats', 'mindmap', 'transcript'] as const;
export type ResultTab = (typeof RESULT_TABS)[number];

const TAB_LABELS = {
  summary: 'summarize.result.summary',
  beats: 'summarize.result.beats',
  mindmap: 'summarize.result.mindmap',
  transcript: 'summarize.result.transcript',
} as const satisfies Record<ResultTab, string>;

/** The tab a summary opens on: the one its mode asked for. */
export function tabForMode(mode: Mode): ResultTab {
  return mode === 'beats' ? 'beats' : mode === 'mindmap' ? 'mindmap' : 'summary';
}

interface Props {
  doc: SummaryDoc;
  /** "Start a script from these beats" (shown when given and the summary has beats). */
  onScriptDraft?: (() => void) | undefined;
  drafting?: boolean;
  /** The tab shown first (default: the summary's mode's). */
  initialTab?: ResultTab;
}

/**
 * A finished summary: what it cost, its actions (a script draft from the beats; a share link, on
 * the team server), then tabs Summary / Beats / Mind map / Transcript.
 */
export function SummaryResult({ doc, onScriptDraft, drafting = false, initialTab }: Props) {
  const t = useT();
  useLocale();
  const id = useId();
  const [tab, setTab] = useState<ResultTab>(initialTab ?? tabForMode(doc.mode));
  return (
    <section className="summary-result" data-testid="summary-result" data-summary-id={doc.id}>
      <header className="summary-result-head">
        {doc.title && (
          <h3 className="summary-result-title" data-testid="summary-title">
            {doc.title}
          </h3>
        )}
        <p className="muted summary-meta">
          <span className="chip">{MODE_LABELS[doc.mode] ?? doc.mode}</span>
          {doc.focus && <span className="chip">{t('summarize.result.focus', { focus: doc.focus })}</span>}
          <span className="chip">{doc.model}</span>
          <span className="chip summary-cost" data-testid="summary-cost">
            {doc.cached ? t('summarize.result.cacheHit') : t('summarize.result.charged', { credits: formatCount('credit', doc.creditsCharged) })}
          </span>
        </p>
        <div className="summary-actions">
          {onScriptDraft && doc.beats.length > 0 && (
            <button type="button" className="button primary button-sm" data-testid="script-draft" disabled={drafting} onClick={onScriptDraft}>
              {drafting ? <span className="spinner spinner-sm" aria-hidden="true" /> : <FileTextIcon />}
              {t('summarize.result.scriptDraft')}
            </button>
          )}
          <ShareSummaryButton summaryId={doc.id} title={doc.title} />
        </div>
      </header>
      <div className="tabs summary-tabs" role="tablist" aria-label={t('summarize.result.sections')}>
        {RESULT_TABS.map((name) => (
          <button
            key={name}
            type="button"
            role="tab"
            id={`${id}-tab-${name}`}
            aria-selected={tab === name}
            aria-controls={`${id}-panel`}
            tabIndex={tab === name ? 0 : -1}
            className={`tab${tab === name ? ' active' : ''}`}
            data-testid={`result-tab-${name}`}
            onClick={() => setTab(name)}
            onKeyDown={(e) => {
              if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
              e.preventDefault();
              const i = RESULT_TABS.indexOf(name);
              const next = RESULT_TABS[(i + (e.key === 'ArrowRight' ? 1 : RESULT_TABS.length - 1)) % RESULT_TABS.length]!;
              setTab(next);
              document.getElementById(`${id}-tab-${next}`)?.focus();
            }}
          >
            {t(TAB_LABELS[name])}
            {name === 'beats' && doc.beats.length > 0 && <span className="tab-count">{doc.beats.length}</span>}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${id}-panel`} aria-labelledby={`${id}-tab-${tab}`} className="summary-panel" data-testid={`result-panel-${tab}`}>
        {tab === 'summary' && <MarkdownText markdown={doc.summary} />}
        {tab === 'beats' && <BeatList beats={doc.beats} />}
        {tab === 'mindmap' && <MindMapTree markdown={doc.mindmap} />}
        {tab === 'transcript' &&
          (doc.transcript.length === 0 ? (
            <p className="muted">{t('summarize.result.noTranscript')}</p>
          ) : (
            <ol className="transcript" data-testid="transcript">
              {doc.transcript.map((s, i) => (
                <li key={i}>
                  <span className="chip transcript-time">{formatClock(s.start_ms)}</span>
                  <span>{s.text}</span>
                </li>
              ))}
            </ol>
          ))}
      </div>
    </section>
  );
}

/** Bold (`**x**`) in a line of Markdown; the rest as text (React escapes it). */
function inline(text: string): ReactNode {
  const parts = text.split(/(\*\*[^*]+\*\*)/g);
  return parts.map((p, i) => (p.startsWith('**') && p.endsWith('**') && p.length > 4 ? <strong key={i}>{p.slice(2, -2)}</strong> : <Fragment key={i}>{p}</Fragment>));
}

/**
 * The summary's Markdown, read as the few things a summary uses: headings, bulleted and numbered
 * lists, paragraphs and bold. Never as HTML.
 */
export function MarkdownText({ markdown }: { markdown: string }) {
  const blocks: ReactNode[] = [];
  let list: { ordered: boolean; items: string[] } | null = null;
  let para: string[] = [];
  const flushPara = () => {
    if (para.length) blocks.push(<p key={blocks.length}>{inline(para.join(' '))}</p>);
    para = [];
  };
  const flushList = () => {
    if (!list) return;
    const items = list.items.map((it, i) => <li key={i}>{inline(it)}</li>);
    blocks.push(list.ordered ? <ol key={blocks.length}>{items}</ol> : <ul key={blocks.length}>{items}</ul>);
    list = null;
  };
  for (const raw of markdown.split(/\r\n|\r|\n/)) {
    const line = raw.trim();
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const bullet = /^[-*+]\s+(.*)$/.exec(line);
    const numbered = /^\d+[.)]\s+(.*)$/.exec(line);
    if (!line) {
      flushPara();
      flushList();
    } else if (heading) {
      flushPara();
      flushList();
      blocks.push(heading[1]!.length <= 2 ? <h4 key={blocks.length}>{inline(heading[2]!)}</h4> : <h5 key={blocks.length}>{inline(heading[2]!)}</h5>);
    } else if (bullet || numbered) {
      flushPara();
      const ordered = !bullet;
      if (list && list.ordered !== ordered) flushList();
      list ??= { ordered, items: [] };
      list.items.push((bullet ?? numbered)![1]!);
    } else {
      flushList();
      para.push(line);
    }
  }
  flushPara();
  flushList();
  return (
    <div className="markdown" data-testid="summary-text">
      {blocks}
    </div>
  );
}
