/**
 * The script editor's save state machine: edits are saved after a quiet period (debounce), at
 * most one save is in flight, edits made during a save are saved right after it, and a failed
 * save keeps the text (it is retried on the next edit, flush, or `retry()`).
 *
 *   saved ──edit──▶ pending ──delay──▶ saving ──ok──▶ saved (or saving again if edited meanwhile)
 *                      ▲                  └──fail──▶ error ──edit/flush/retry──▶ …
 */
import { errorMessage } from '../transport/errors';

export type SaveStatus = 'saved' | 'pending' | 'saving' | 'error';

export interface SaveState {
  status: SaveStatus;
  /** The message of the last failed save (status "error"). */
  error: string | null;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface AutoSaverOptions<R> {
  /** The text as last loaded from the server (counts as saved). */
  initial: string;
  save: (text: string) => Promise<R>;
  delayMs: number;
  onState?: (s: SaveState) => void;
  onSaved?: (result: R, text: string) => void;
  timers?: Timers;
}

export class AutoSaver<R = unknown> {
  private lastSaved: string;
  private current: string;
  private timer: unknown = null;
  private inflight: Promise<void> | null = null;
  private disposed = false;
  private st: SaveState = { status: 'saved', error: null };
  private readonly timers: Timers;

  constructor(private readonly opts: AutoSaverOptions<R>) {
    this.lastSaved = opts.initial;
    this.current = opts.initial;
    this.timers = opts.timers ?? realTimers;
  }

  get state(): SaveState {
    return this.st;
  }

  /** The latest text given to `edit` (what the editor shows). */
  get text(): string {
    return this.current;
  }

  /** Whether some of the text is not on the server yet. */
  get dirty(): boolean {
    return this.current !== this.lastSaved || this.inflight !== null;
  }

  edit(text: string): void {
    if (this.disposed) return;
    this.current = text;
    this.cancelTimer();
    if (this.inflight) return; // saved again when the running save ends
    if (text === this.lastSaved) {
      this.set({ status: 'saved', error: null });
      return;
    }
    this.set({ status: 'pending', error: null });
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      void this.run();
    }, this.opts.delayMs);
  }

  /** Saves now (Ctrl/Cmd+S, leaving the page). Resolves true once everything is saved. */
  async flush(): Promise<boolean> {
    this.cancelTimer();
    if (this.inflight) await this.inflight;
    if (this.current !== this.lastSaved) await this.run();
    return this.current === this.lastSaved && this.st.status !== 'error';
  }

  retry(): Promise<boolean> {
    return this.flush();
  }

  /**
   * Stops the debounce timer, further edits and all callbacks (the editor unmounts). A running
   * save still finishes, and `flush()` still saves: call it first so nothing typed is lost.
   */
  dispose(): void {
    this.disposed = true;
    this.cancelTimer();
  }

  private cancelTimer() {
    if (this.timer !== null) {
      this.timers.clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private set(s: SaveState) {
    this.st = s;
    if (!this.disposed) this.opts.onState?.(s);
  }

  private run(): Promise<void> {
    if (this.inflight) return this.inflight;
    const text = this.current;
    this.set({ status: 'saving', error: null });
    const p = (async () => {
      let failed = false;
      try {
        const result = await this.opts.save(text);
        this.lastSaved = text;
        if (!this.disposed) this.opts.onSaved?.(result, text);
      } catch (e) {
        failed = true;
        this.set({ status: 'error', error: errorMessage(e) });
      } finally {
        this.inflight = null;
      }
      if (failed) return;
      if (this.current !== this.lastSaved) await this.run();
      else this.set({ status: 'saved', error: null });
    })();
    this.inflight = p;
    return p;
  }
}
