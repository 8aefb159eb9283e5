import { useEffect, useId, useRef, type ReactNode } from 'react';
import { useT } from '../i18n';
import { CloseIcon } from './Icons';

interface ModalProps {
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** While true, Escape / backdrop / close button do nothing (a request is in flight). */
  busy?: boolean;
  size?: 'sm' | 'md' | 'lg';
  testId?: string;
  /** Selector of the element to focus when the dialog opens (default: first focusable). */
  initialFocus?: string;
}

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), textarea:not([disabled]), select:not([disabled]), [tabindex]:not([tabindex="-1"])';

const FIRST_FIELD =
  'input:not([disabled]):not([type="hidden"]):not([type="radio"]):not([type="checkbox"]), textarea:not([disabled]), select:not([disabled])';

/**
 * Whether `panel` is the dialog keys go to: the last one open in the document. A dialog opened
 * from another one (the share dialog over the export dialog) comes after it, so Escape closes only
 * the one on top and Tab stays in it.
 */
export function isTopDialog(panel: Element | null, root: Pick<ParentNode, 'querySelectorAll'>): boolean {
  const open = root.querySelectorAll('[role="dialog"][aria-modal="true"]');
  return panel !== null && open.length > 0 && open[open.length - 1] === panel;
}

/** An accessible modal dialog: focus moves in and is trapped, Escape closes, focus returns. */
export function Modal({ title, onClose, children, busy, size = 'md', testId, initialFocus }: ModalProps) {
  const t = useT();
  const panelRef = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  const busyRef = useRef(busy);
  busyRef.current = busy;

  useEffect(() => {
    const previouslyFocused = document.activeElement as HTMLElement | null;
    const panel = panelRef.current;
    // The first field when there is one (typing goes where the user expects), else the first control.
    const target =
      (initialFocus && panel?.querySelector<HTMLElement>(initialFocus)) ||
      panel?.querySelector<HTMLElement>(FIRST_FIELD) ||
      panel?.querySelector<HTMLElement>(FOCUSABLE);
    target?.focus();

    function onKeyDown(e: KeyboardEvent) {
      if (!isTopDialog(panelRef.current, document)) return;
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        if (!busyRef.current) onCloseRef.current();
        return;
      }
      if (e.key === 'Tab' && panelRef.current) {
        const items = Array.from(panelRef.current.querySelectorAll<HTMLElement>(FOCUSABLE));
        if (items.length === 0) return;
        const first = items[0]!;
        const last = items[items.length - 1]!;
        if (e.shiftKey && document.activeElement === first) {
          e.preventDefault();
          last.focus();
        } else if (!e.shiftKey && document.activeElement === last) {
          e.preventDefault();
          first.focus();
        }
      }
    }
    document.addEventListener('keydown', onKeyDown, true);
    return () => {
      document.removeEventListener('keydown', onKeyDown, true);
      if (previouslyFocused && document.contains(previouslyFocused)) previouslyFocused.focus();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  return (
    <div
      className="modal-backdrop"
      onMouseDown={(e) => {
        if (e.target === e.currentTarget && !busyRef.current) onClose();
      }}
    >
      <div
        ref={panelRef}
        className={`modal modal-${size}`}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        data-testid={testId}
      >
        <header className="modal-header">
          <h2 id={titleId}>{title}</h2>
          <button
            type="button"
            className="icon-button"
            aria-label={t('common.closeDialog')}
            onClick={() => !busy && onClose()}
            data-testid="close-dialog"
          >
            <CloseIcon />
          </button>
        </header>
        {children}
      </div>
    </div>
  );
}
