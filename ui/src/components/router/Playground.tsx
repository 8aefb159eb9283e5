import { useEffect, useId, useRef, useState } from 'react';
import { loadOf } from '../../api/load';
import { useRouterRequest } from '../../api/queries';
import { streamChat, type ChatMessage, type ChatStreamResult, type RouterModel, type UsageRow } from '../../api/router';
import { useLocale, useT } from '../../i18n';
import { formatCount, formatDuration, formatNumber } from '../../lib/format';
import { isSendShortcut } from '../../lib/keyboard';
import { endReasonLabel, parseMaxTokens, worstCaseCredits } from '../../lib/routerUsage';
import { errorMessage } from '../../transport';

const DEFAULT_MAX_TOKENS = '512';

type Phase = { kind: 'idle' } | { kind: 'streaming' } | { kind: 'ended'; result: ChatStreamResult };

/**
 * One message to a chat model, its answer shown as it streams, then what the request cost (its
 * usage row). Stop aborts the request; the router still bills what the model produced.
 */
export function Playground({ models }: { models: RouterModel[] }) {
  const t = useT();
  useLocale();
  const id = useId();
  const [model, setModel] = useState(models[0]?.id ?? '');
  const [message, setMessage] = useState('');
  const [maxTokensText, setMaxTokensText] = useState(DEFAULT_MAX_TOKENS);
  const [answer, setAnswer] = useState('');
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const abort = useRef<AbortController | null>(null);
  // Leaving the page stops a running answer.
  useEffect(() => () => abort.current?.abort(), []);

  const selected = models.find((m) => m.id === model);
  const maxTokens = parseMaxTokens(maxTokensText);
  const messages: ChatMessage[] = [{ role: 'user', content: message }];
  const streaming = phase.kind === 'streaming';
  const ready = !!selected && maxTokens !== null && message.trim() !== '' && !streaming;

  async function send() {
    if (!ready || !selected || maxTokens === null) return;
    const controller = new AbortController();
    abort.current = controller;
    setAnswer('');
    setPhase({ kind: 'streaming' });
    const result = await streamChat({ model: selected.id, messages, max_tokens: maxTokens }, (piece) => setAnswer((a) => a + piece), controller.signal);
    if (abort.current === controller) abort.current = null;
    setPhase({ kind: 'ended', result });
  }

  if (models.length === 0) {
    return (
      <section className="panel router-section" aria-labelledby={`${id}-title`}>
        <h2 id={`${id}-title`}>{t('playground.title')}</h2>
        <p className="muted" data-testid="no-chat-models">
          {t('playground.noChatModels')}
        </p>
      </section>
    );
  }

  return (
    <section className="panel router-section" aria-labelledby={`${id}-title`} data-testid="playground">
      <h2 id={`${id}-title`}>{t('playground.title')}</h2>
      <p className="muted">{t('playground.hint')}</p>
      <form
        className="form playground-form"
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
        noValidate
      >
        <div className="form-row-2">
          <div className="form-field">
            <label htmlFor={`${id}-model`}>{t('playground.model')}</label>
            <select id={`${id}-model`} className="input select" value={model} onChange={(e) => setModel(e.target.value)} disabled={streaming} data-testid="playground-model">
              {models.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.id}
                </option>
              ))}
            </select>
          </div>
          <div className="form-field">
            <label htmlFor={`${id}-max`}>{t('playground.maxTokens')}</label>
            <input
              id={`${id}-max`}
              className={`input${maxTokens === null ? ' invalid' : ''}`}
              inputMode="numeric"
              value={maxTokensText}
              onChange={(e) => setMaxTokensText(e.target.value)}
              disabled={streaming}
              aria-invalid={maxTokens === null ? true : undefined}
              data-testid="playground-max-tokens"
            />
            {maxTokens === null && <p className="field-error">{t('playground.maxTokensInvalid', { max: formatNumber(100_000) })}</p>}
          </div>
        </div>
        <div className="form-field">
          <label htmlFor={`${id}-message`}>{t('playground.message')}</label>
          <textarea
            id={`${id}-message`}
            className="input textarea"
            rows={4}
            placeholder={t('playground.messagePlaceholder')}
            value={message}
            onChange={(e) => setMessage(e.target.value)}
            onKeyDown={(e) => {
              if (!isSendShortcut(e)) return;
              e.preventDefault();
              void send();
            }}
            data-testid="playground-message"
          />
        </div>
        <div className="toolbar playground-actions">
          {/* Keys: two elements, so the Stop button is not turned into Send (a submit) while its
              click is still being handled, which would send again. */}
          {streaming ? (
            <button key="stop" type="button" className="button secondary" onClick={() => abort.current?.abort()} data-testid="playground-stop">
              {t('playground.stop')}
            </button>
          ) : (
            <button key="send" type="submit" className="button primary" disabled={!ready} data-testid="playground-send">
              {t('playground.send')}
            </button>
          )}
          <span className="muted">{t('playground.sendHint')}</span>
          {selected && maxTokens !== null && <HoldNote messages={messages} maxTokens={maxTokens} model={selected} />}
        </div>
      </form>
      {phase.kind !== 'idle' && <Answer text={answer} phase={phase} />}
    </section>
  );
}

/** The most the request can cost, as the router holds it before calling the model. */
function HoldNote({ messages, maxTokens, model }: { messages: ChatMessage[]; maxTokens: number; model: RouterModel }) {
  const t = useT();
  const credits = worstCaseCredits(messages, maxTokens, model.pricing);
  return (
    <span className="muted playground-hold" data-testid="playground-hold" data-credits={credits}>
      {credits === 0
        ? t('playground.free')
        : t('playground.holdUpTo', { credits: formatCount('credit', credits), tokens: formatNumber(maxTokens) })}
    </span>
  );
}

function Answer({ text, phase }: { text: string; phase: Exclude<Phase, { kind: 'idle' }> }) {
  const t = useT();
  const result = phase.kind === 'ended' ? phase.result : null;
  return (
    <div className="playground-result">
      <div className="playground-answer" aria-live="polite" aria-busy={phase.kind === 'streaming'} data-testid="playground-answer">
        {text}
        {phase.kind === 'streaming' && <span className="playground-caret" aria-hidden="true" />}
      </div>
      {phase.kind === 'streaming' && <p className="muted">{t('playground.streaming')}</p>}
      {result?.end === 'error' && result.error && (
        <p className="form-error" role="alert" data-testid="playground-error">
          {errorMessage(result.error)}
        </p>
      )}
      {result?.end === 'aborted' && <p className="muted">{t('playground.stopped')}</p>}
      {result?.end === 'cut' && (
        <p className="form-error" role="alert">
          {t('playground.cut')}
        </p>
      )}
      {result?.usageId && <UsageFacts id={result.usageId} />}
    </div>
  );
}

/** The request's usage row: tokens, credits charged, latency (re-read until it is settled). */
function UsageFacts({ id }: { id: string }) {
  const t = useT();
  const row = loadOf(useRouterRequest(id));
  if (row.kind === 'loading') return <p className="muted">{t('playground.settling')}</p>;
  if (row.kind === 'error') return <p className="muted">{t('playground.usageFailed', { message: row.message })}</p>;
  if (row.data.status === 'open') return <p className="muted" data-testid="playground-settling">{t('playground.settling')}</p>;
  return <RowFacts row={row.data} />;
}

function RowFacts({ row }: { row: UsageRow }) {
  const t = useT();
  const ms = (n: number | null) => (n === null ? '–' : formatDuration(n / 1000));
  return (
    <dl className="playground-facts" data-testid="playground-usage" data-end={row.end_reason ?? ''}>
      <div>
        <dt>{t('playground.tokens')}</dt>
        <dd data-testid="playground-tokens">
          {t('playground.tokensInOut', { prompt: formatNumber(row.prompt_tokens ?? 0), completion: formatNumber(row.completion_tokens ?? 0) })}
          {row.usage_estimated && <span className="muted"> {t('playground.estimated')}</span>}
        </dd>
      </div>
      <div>
        <dt>{t('playground.charged')}</dt>
        <dd data-testid="playground-credits">{formatCount('credit', row.credits)}</dd>
      </div>
      <div>
        <dt>{t('playground.firstToken')}</dt>
        <dd>{ms(row.first_token_ms)}</dd>
      </div>
      <div>
        <dt>{t('playground.latency')}</dt>
        <dd>{ms(row.latency_ms)}</dd>
      </div>
      <div>
        <dt>{t('playground.ended')}</dt>
        <dd>{endReasonLabel(row.end_reason)}</dd>
      </div>
    </dl>
  );
}
