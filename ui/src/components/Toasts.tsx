import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useT } from '../i18n';
import { AlertIcon, CheckIcon, CloseIcon } from './Icons';

export type ToastKind = 'success' | 'error' | 'info';

export interface ToastAction {
  label: string;
  testId?: string;
  onClick: () => void;
}

export interface ToastInput {
  kind: ToastKind;
  message: string;
  action?: ToastAction;
  /** Milliseconds before it goes away by itself; 0 keeps it until dismissed. */
  duration?: number;
}

interface ToastItem extends ToastInput {
  id: number;
}

interface ToastApi {
  show: (t: ToastInput) => number;
  dismiss: (id: number) => void;
}

const ToastContext = createContext<ToastApi | null>(null);

export function useToasts(): ToastApi {
  const ctx = useContext(ToastContext);
  if (!ctx) throw new Error('useToasts must be used inside <ToastProvider>');
  return ctx;
}

const DEFAULT_DURATION: Record<ToastKind, number> = { success: 4000, info: 5000, error: 8000 };
const MAX_TOASTS = 4;

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<ToastItem[]>([]);
  const nextId = useRef(1);

  const dismiss = useCallback((id: number) => {
    setToasts((ts) => ts.filter((t) => t.id !== id));
  }, []);

  const show = useCallback((t: ToastInput) => {
    const id = nextId.current++;
    setToasts((ts) => [...ts, { ...t, id }].slice(-MAX_TOASTS));
    return id;
  }, []);

  const api = useMemo(() => ({ show, dismiss }), [show, dismiss]);

  return (
    <ToastContext.Provider value={api}>
      {children}
      <div className="toast-region" aria-live="polite" aria-relevant="additions">
        {toasts.map((t) => (
          <Toast key={t.id} toast={t} onDismiss={() => dismiss(t.id)} />
        ))}
      </div>
    </ToastContext.Provider>
  );
}

function Toast({ toast, onDismiss }: { toast: ToastItem; onDismiss: () => void }) {
  const t = useT();
  const [paused, setPaused] = useState(false);
  const duration = toast.duration ?? DEFAULT_DURATION[toast.kind];
  const dismissRef = useRef(onDismiss);
  dismissRef.current = onDismiss;

  // Hovering pauses the countdown; leaving starts it again from the full duration.
  useEffect(() => {
    if (!duration || paused) return;
    const timer = window.setTimeout(() => dismissRef.current(), duration);
    return () => window.clearTimeout(timer);
  }, [duration, paused]);

  return (
    <div
      className={`toast toast-${toast.kind}`}
      role={toast.kind === 'error' ? 'alert' : 'status'}
      data-testid="toast"
      data-kind={toast.kind}
      onMouseEnter={() => setPaused(true)}
      onMouseLeave={() => setPaused(false)}
    >
      <span className="toast-icon">{toast.kind === 'error' ? <AlertIcon /> : <CheckIcon />}</span>
      <span className="toast-message" data-testid="toast-message">
        {toast.message}
      </span>
      {toast.action && (
        <button
          type="button"
          className="toast-action"
          data-testid={toast.action.testId}
          onClick={() => {
            toast.action?.onClick();
            onDismiss();
          }}
        >
          {toast.action.label}
        </button>
      )}
      <button type="button" className="icon-button toast-close" aria-label={t('common.dismiss')} onClick={onDismiss}>
        <CloseIcon size={14} />
      </button>
    </div>
  );
}
