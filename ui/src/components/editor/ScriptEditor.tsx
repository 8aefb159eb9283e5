import { useLayoutEffect, useRef } from 'react';
import { defaultKeymap, history, historyKeymap, insertNewline } from '@codemirror/commands';
import { Compartment, EditorState, type Extension } from '@codemirror/state';
import { EditorView, keymap, placeholder } from '@codemirror/view';
import { useT } from '../../i18n';
import { isSaveShortcut } from '../../lib/keyboard';
import { scriptHighlighting } from './scriptHighlight';

interface Props {
  value: string;
  disabled?: boolean;
  onChange: (value: string) => void;
  /** Ctrl/Cmd+S. */
  onSave: () => void;
}

interface Labels {
  label: string;
  placeholder: string;
}

const labelsSlot = new Compartment();
const accessSlot = new Compartment();

function labelsExt({ label, placeholder: text }: Labels): Extension {
  return [
    placeholder(text),
    EditorView.contentAttributes.of({
      'aria-label': label,
      'aria-describedby': 'script-format-help',
      'aria-multiline': 'true',
      'data-testid': 'script-editor',
      spellcheck: 'false',
      autocapitalize: 'off',
      autocorrect: 'off',
    }),
  ];
}

function accessExt(disabled: boolean): Extension {
  return [
    EditorState.readOnly.of(disabled),
    EditorView.editable.of(!disabled),
    disabled ? EditorView.contentAttributes.of({ 'aria-readonly': 'true' }) : [],
  ];
}

/**
 * The script editor: CodeMirror 6, which lays out only the lines in view, so typing in a 2 MB
 * script costs what a short one costs (a textarea lays out all of its text on every key). The
 * lines in view are highlighted (`scriptHighlight.ts`) whatever the script's size.
 *
 * Controlled like a textarea: `value` is the text; `onChange` gets the new text on every edit
 * made here. A `value` that differs from the last text this editor had (a load, an upload, a
 * version switch) replaces the document, its undo history and its selection, and does not call
 * `onChange`. The frame's `data-length` is the document's length in UTF-16 units, a line break
 * counting one (`value.length` for a text without \r), for tests: the DOM holds only the lines in
 * view, so the text cannot be read from it.
 */
export function ScriptEditor({ value, disabled = false, onChange, onSave }: Props) {
  const t = useT();
  const labels: Labels = { label: t('breakdown.scriptLabel'), placeholder: t('breakdown.scriptPlaceholder') };
  const frameRef = useRef<HTMLDivElement>(null);
  const hostRef = useRef<HTMLDivElement>(null);
  const viewRef = useRef<EditorView | null>(null);
  // The text the document holds as far as the parent knows: the last `value` applied or the last
  // text given to `onChange`.
  const textRef = useRef(value);
  const latest = useRef({ labels, disabled, onChange, onSave });
  latest.current = { labels, disabled, onChange, onSave };

  function showLength(length: number) {
    frameRef.current?.setAttribute('data-length', String(length));
  }

  function makeState(doc: string): EditorState {
    const { labels: l, disabled: d } = latest.current;
    return EditorState.create({
      doc,
      extensions: [
        history(),
        EditorView.domEventHandlers({
          keydown(e) {
            if (!isSaveShortcut(e)) return false;
            e.preventDefault();
            latest.current.onSave();
            return true;
          },
        }),
        // Enter inserts a bare line break, as a textarea does (the default copies the indentation).
        keymap.of([{ key: 'Enter', run: insertNewline }, ...defaultKeymap, ...historyKeymap]),
        EditorView.lineWrapping,
        scriptHighlighting,
        labelsSlot.of(labelsExt(l)),
        accessSlot.of(accessExt(d)),
        EditorView.updateListener.of((u) => {
          if (!u.docChanged) return;
          showLength(u.state.doc.length);
          const text = u.state.doc.toString();
          textRef.current = text;
          latest.current.onChange(text);
        }),
      ],
    });
  }

  useLayoutEffect(() => {
    const view = new EditorView({ state: makeState(textRef.current), parent: hostRef.current! });
    viewRef.current = view;
    showLength(view.state.doc.length);
    return () => {
      view.destroy();
      viewRef.current = null;
    };
    // Made once; later props reach it through `latest` and the effects below.
  }, []);

  // A new text from outside (load, upload, version switch): a fresh document, no onChange.
  useLayoutEffect(() => {
    const view = viewRef.current;
    if (!view || value === textRef.current) return;
    textRef.current = value;
    view.setState(makeState(value));
    showLength(view.state.doc.length);
  }, [value]);

  useLayoutEffect(() => {
    viewRef.current?.dispatch({
      effects: [labelsSlot.reconfigure(labelsExt(labels)), accessSlot.reconfigure(accessExt(disabled))],
    });
  }, [labels.label, labels.placeholder, disabled]);

  return (
    <div className="script-editor" data-testid="script-editor-frame" data-readonly={disabled ? 'true' : 'false'} ref={frameRef}>
      <div className="script-editor-host" ref={hostRef} />
      <p id="script-format-help" className="sr-only">
        {t('breakdown.scriptHelp')}
      </p>
    </div>
  );
}
