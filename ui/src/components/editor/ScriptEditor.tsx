import { memo, useMemo, useRef, type KeyboardEvent } from 'react';
import { LARGE_SCRIPT_CHARS } from '../../api/script';
import { useT } from '../../i18n';
import { isSaveShortcut } from '../../lib/keyboard';
import { classifyScript, type ClassifiedLine } from '../../lib/scriptSyntax';

interface Props {
  value: string;
  disabled?: boolean;
  onChange: (value: string) => void;
  /** Ctrl/Cmd+S. */
  onSave: () => void;
}

function sameLine(a: ClassifiedLine, b: ClassifiedLine): boolean {
  if (a.kind !== b.kind || a.tokens.length !== b.tokens.length) return false;
  return a.tokens.every((t, i) => t.kind === b.tokens[i]!.kind && t.text === b.tokens[i]!.text);
}

const Line = memo(
  function Line({ line }: { line: ClassifiedLine }) {
    return (
      <span className={`sx-line sx-${line.kind}`} data-kind={line.kind}>
        {line.tokens.map((t, i) => (
          <span key={i} className={`sx-${t.kind}`}>
            {t.text}
          </span>
        ))}
        {'\n'}
      </span>
    );
  },
  (a, b) => sameLine(a.line, b.line),
);

/**
 * A plain textarea (so typing, IME, undo, selection and accessibility are the browser's own) over
 * a highlighted copy of the same text. The textarea's glyphs are transparent; the <pre> behind it
 * shows the colours and follows its scroll.
 *
 * Highlighting re-classifies and re-renders every line on each keystroke, so a large script (a
 * 2 MB paste: 60,000 lines) is shown as plain text instead, and typing costs what the textarea
 * costs. Deciding this is constant time.
 */
export function ScriptEditor({ value, disabled, onChange, onSave }: Props) {
  const t = useT();
  const preRef = useRef<HTMLPreElement>(null);
  const highlight = value.length < LARGE_SCRIPT_CHARS;
  const lines = useMemo(() => (highlight ? classifyScript(value) : []), [highlight, value]);

  function syncScroll(el: HTMLTextAreaElement) {
    const pre = preRef.current;
    if (!pre) return;
    pre.scrollTop = el.scrollTop;
    pre.scrollLeft = el.scrollLeft;
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (isSaveShortcut(e)) {
      e.preventDefault();
      onSave();
    }
  }

  return (
    <div className="script-editor" data-testid="script-editor-frame" data-highlight={highlight ? 'on' : 'off'}>
      {highlight && (
        <pre ref={preRef} className="script-highlight" aria-hidden="true" data-testid="script-highlight">
          {lines.map((l, i) => (
            <Line key={i} line={l} />
          ))}
          {/* Room for the caret on a trailing empty line. */}
          {' '}
        </pre>
      )}
      <textarea
        className={highlight ? 'script-input' : 'script-input script-input-plain'}
        data-testid="script-editor"
        aria-label={t('breakdown.scriptLabel')}
        aria-describedby="script-format-help"
        value={value}
        disabled={disabled}
        spellCheck={false}
        autoCapitalize="off"
        autoCorrect="off"
        wrap="soft"
        placeholder={t('breakdown.scriptPlaceholder')}
        onChange={(e) => {
          onChange(e.target.value);
          syncScroll(e.target);
        }}
        onScroll={(e) => syncScroll(e.currentTarget)}
        onKeyDown={onKeyDown}
        onSelect={(e) => syncScroll(e.currentTarget)}
      />
      <p id="script-format-help" className="sr-only">
        {t('breakdown.scriptHelp')}
      </p>
    </div>
  );
}
