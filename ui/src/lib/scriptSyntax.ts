/**
 * Line classifier for the script editor's syntax highlighting. It follows the conventions the
 * server's parser reads (Fountain and Chinese short-drama scripts) closely enough to colour a
 * script while it is typed; it is not the parser; the live breakdown is the parser's word.
 *
 * Pure: text in, classified lines out.
 */

export type LineKind =
  | 'blank'
  | 'meta' // title page / header fields: `Title: …`, `剧名：…`, `人物：…`
  | 'episode' // 第1集 …
  | 'scene' // INT./EXT., `.FORCED`, 场景1：…, 1-2 …, 【场景】…
  | 'character' // a Fountain cue line (ALL CAPS before dialogue), or `@Forced`
  | 'dialogue' // the lines under a Fountain cue
  | 'speech' // a Chinese `角色：台词` / `角色（情绪）：台词` line (cue + dialogue tokens)
  | 'parenthetical' // `(beat)` under a cue, or a whole `（…）` stage direction
  | 'transition' // CUT TO:, FADE IN:, `> forced`, 切至 / 转场 / 淡入 / 淡出
  | 'action' // `△…` and plain description
  | 'note' // `[[…]]`, `/* … */`, Fountain sections `#` and synopses `=`
  | 'centered'; // `> centred <`

export type TokenKind = 'meta' | 'episode' | 'scene' | 'character' | 'dialogue' | 'parenthetical' | 'transition' | 'action' | 'note' | 'centered' | 'marker' | 'plain';

export interface Token {
  kind: TokenKind;
  text: string;
}

export interface ClassifiedLine {
  kind: LineKind;
  tokens: Token[];
}

const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;

const CN_NUM = '[0-9０-９一二三四五六七八九十百千零两]+';

/** Header fields of a Chinese script: never a speaker, even though they look like `X：…`. */
const CN_META_KEYS = new Set([
  '剧名',
  '片名',
  '标题',
  '编剧',
  '导演',
  '作者',
  '原著',
  '人物',
  '出场人物',
  '主要人物',
  '时间',
  '地点',
  '备注',
  '集数',
  '类型',
  '简介',
  '梗概',
  '故事梗概',
  '字数',
  '主演',
]);

const EPISODE_RE = new RegExp(`^第${CN_NUM}集`);
const CN_SCENE_RES = [
  new RegExp(`^场景\\s*(?:${CN_NUM}|[：:])`),
  new RegExp(`^第${CN_NUM}场`),
  new RegExp(`^场\\s*${CN_NUM}(?:[\\s：:、.．-]|$)`),
  /^\d+\s*[-－—]\s*\d+(?:\s|：|:|$)/, // 1-2 林家客厅 日 内
  /^【[^】]*】/, // 【场景】林家花园 … (and other bracketed headings)
];
const FOUNTAIN_SCENE_RE = /^(?:INT|EXT|EST|INT\.?\/EXT|I\/E)(?:\.|\s)/i;
const FOUNTAIN_TRANSITION_RE = /^[A-Z0-9 .'’-]+TO:$/;
const NAMED_TRANSITIONS = /^(?:FADE IN:|FADE OUT\.?|FADE TO BLACK\.?|CUT TO BLACK\.?|SMASH CUT:?|MATCH CUT:?)$/;
const CN_TRANSITION_RE = /^[（(]?(?:淡入|淡出|切至|切换至|切换到|转场|闪回|闪回结束|叠化|黑场|渐隐|渐显)(?:[：:。）)]|$)/;
const FOUNTAIN_META_RE = /^[A-Za-z][A-Za-z ]*:(?:\s|$)/;
/** `名字：台词` / `名字（情绪）：台词` / `名字(OS):台词`. */
const CN_SPEECH_RE = /^([^\s：:（(【△▲\[\]]{1,12})((?:（[^）]*）|\([^)]*\))?)(\s*)([：:])(.*)$/;

function isSceneHeading(t: string): boolean {
  if (t.startsWith('.') && !t.startsWith('..') && t.length > 1 && /\S/.test(t[1]!)) return true;
  if (FOUNTAIN_SCENE_RE.test(t)) return true;
  // 【字幕：…】 and similar bracketed asides are shown as action, not headings.
  if (/^【\s*(?:字幕|旁白|画外音|OS|VO|注)/i.test(t)) return false;
  return CN_SCENE_RES.some((re) => re.test(t));
}

function isTransition(t: string): boolean {
  if (t.startsWith('>') && !t.endsWith('<')) return true;
  return NAMED_TRANSITIONS.test(t) || (FOUNTAIN_TRANSITION_RE.test(t) && t === t.toUpperCase()) || CN_TRANSITION_RE.test(t);
}

/** ALL CAPS (at least one A–Z letter, no lowercase) once extensions like `(cont'd)` are removed. */
function isFountainCue(t: string): boolean {
  if (t.startsWith('@') && t.length > 1) return true;
  const name = t
    .replace(/\s*\^$/, '')
    .replace(/\([^)]*\)/g, '')
    .trim();
  if (!name || !/[A-Z]/.test(name) || /[a-z]/.test(name)) return false;
  if (CJK.test(name)) return false;
  if (name.endsWith(':')) return false;
  return /^[A-Z0-9 ._'’#-]+$/.test(name);
}

/** Splits `[[notes]]` out of a line into their own tokens. */
function withNotes(text: string, kind: TokenKind): Token[] {
  const out: Token[] = [];
  const re = /\[\[[\s\S]*?\]\]/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) out.push({ kind, text: text.slice(last, m.index) });
    out.push({ kind: 'note', text: m[0] });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ kind, text: text.slice(last) });
  return out;
}

function line(kind: LineKind, text: string, tokenKind: TokenKind = kind === 'blank' || kind === 'speech' ? 'plain' : kind): ClassifiedLine {
  return { kind, tokens: text ? withNotes(text, tokenKind) : [] };
}

/** `m` matched `text` without its trailing white space, which is kept as a plain token. */
function speechLine(text: string, m: RegExpExecArray): ClassifiedLine {
  const [whole, name, paren, gap, colon, rest] = m;
  const tokens: Token[] = [{ kind: 'character', text: name! }];
  if (paren) tokens.push({ kind: 'parenthetical', text: paren });
  if (gap) tokens.push({ kind: 'plain', text: gap });
  tokens.push({ kind: 'marker', text: colon! });
  if (rest) tokens.push(...withNotes(rest, 'dialogue'));
  const trailing = text.slice(whole!.length);
  if (trailing) tokens.push({ kind: 'plain', text: trailing });
  return { kind: 'speech', tokens };
}

/** Classifies every line of `text` (split on \n; a trailing \r is kept in the token text). */
export function classifyScript(text: string): ClassifiedLine[] {
  return classifyLines(text.split('\n'));
}

/**
 * What the classifier knows at the start of a line from the lines above it, packed in a small
 * integer (one byte) so an editor can keep one per line of a long script (`LineStates`).
 *
 * A line's kind depends on this state, on its own text and on whether the next line has text (a
 * Fountain cue needs dialogue under it); the state after it depends on the same three.
 */
export type LineState = number;

const IN_BONEYARD = 1; // inside a multi-line /* … */
const IN_DIALOGUE = 2; // under a Fountain cue, until a blank line
const IN_TITLE_PAGE = 4; // `Key: value` lines at the very top, up to the first blank line after content
const SEEN_CONTENT = 8; // some non-blank line (outside a boneyard) came before
const AFTER_META = 16; // the previous line was classified `meta`
const AFTER_BLANK = 32; // the previous line was blank (or there is none)

/** The state at the first line of a script. */
export const INITIAL_LINE_STATE: LineState = IN_TITLE_PAGE | AFTER_BLANK;

export interface LineScan {
  kind: LineKind;
  /** The state at the start of the next line. */
  after: LineState;
  /** The `名字：台词` match of a `speech` line (its tokens are cut from it). */
  speech: RegExpExecArray | null;
}

/**
 * Classifies one line: `state` is the state at its start, `next` the following line's text
 * (`undefined` for the last line). Pure and cheap (no tokens): an editor scans thousands of lines
 * with it to know the state at the first line it shows.
 */
export function scanLine(state: LineState, raw: string, next: string | undefined): LineScan {
  const t = raw.replace(/\r$/, '').trim();
  let s = state & ~(AFTER_META | AFTER_BLANK);
  let speech: RegExpExecArray | null = null;
  const kind = ((): LineKind => {
    if (s & IN_BONEYARD) {
      if (t.includes('*/')) s &= ~IN_BONEYARD;
      return 'note';
    }
    if (t.startsWith('/*')) {
      if (!t.includes('*/', 2)) s |= IN_BONEYARD;
      return 'note';
    }

    if (!t) {
      s &= ~IN_DIALOGUE;
      if (s & SEEN_CONTENT) s &= ~IN_TITLE_PAGE;
      return 'blank';
    }
    const first = !(s & SEEN_CONTENT);
    s |= SEEN_CONTENT;

    if (s & IN_TITLE_PAGE) {
      if (FOUNTAIN_META_RE.test(t) && !isSceneHeading(t) && !isTransition(t)) return 'meta';
      // Indented continuation of a title-page field (e.g. a multi-line Contact:).
      if (!first && /^\s/.test(raw) && state & AFTER_META) return 'meta';
      if (!FOUNTAIN_META_RE.test(t)) s &= ~IN_TITLE_PAGE;
    }

    if (s & IN_DIALOGUE) return /^[(（].*[)）]$/.test(t) ? 'parenthetical' : 'dialogue';

    if (/^\[\[[\s\S]*\]\]$/.test(t) && !/\]\].*\[\[/.test(t)) return 'note';
    if (/^#(?!#*\s*$)/.test(t) || (/^=(?!==)/.test(t) && t.length > 1)) return 'note';
    if (EPISODE_RE.test(t)) return 'episode';
    if (isSceneHeading(t)) return 'scene';
    if (t.startsWith('>') && t.endsWith('<')) return 'centered';
    if (isTransition(t)) return 'transition';
    if (/^[△▲]/.test(t) || t.startsWith('!')) return 'action';
    // A whole-line Chinese stage direction: （林雪别过头，眼中闪过一丝冷意）
    if (/^（.*）$/.test(t) || (/^\(.*\)$/.test(t) && CJK.test(t))) return 'parenthetical';

    const cjkMeta = /^([^\s：:]{1,8})[：:]/.exec(t);
    if (cjkMeta && CN_META_KEYS.has(cjkMeta[1]!)) return 'meta';

    const m = CN_SPEECH_RE.exec(raw.trimEnd().replace(/\r$/, ''));
    // A full-width colon marks a speaker; an ASCII one only when the name is Chinese
    // (so English `Note: …` action stays action).
    if (m && (m[4] === '：' || CJK.test(m[1]!))) {
      speech = m;
      return 'speech';
    }

    // Fountain cue: ALL CAPS, after a blank line (or the start), with text on the next line.
    const nextHasText = next !== undefined && next.trim() !== '';
    if (state & AFTER_BLANK && nextHasText && isFountainCue(t)) {
      s |= IN_DIALOGUE;
      return 'character';
    }
    return 'action';
  })();
  if (kind === 'meta') s |= AFTER_META;
  if (!t) s |= AFTER_BLANK;
  return { kind, after: s, speech };
}

/** The line with its tokens, from `scanLine`'s answer for it. */
export function classifiedLine(raw: string, scan: LineScan): ClassifiedLine {
  return scan.kind === 'speech' && scan.speech ? speechLine(raw, scan.speech) : line(scan.kind, raw);
}

export function classifyLines(lines: readonly string[]): ClassifiedLine[] {
  const out: ClassifiedLine[] = [];
  let state = INITIAL_LINE_STATE;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const scan = scanLine(state, raw, lines[i + 1]);
    out.push(classifiedLine(raw, scan));
    state = scan.after;
  }
  return out;
}

/**
 * The state at the start of each line of a document that changes, for an editor that classifies
 * only the lines it shows. States are computed on demand, from the last known one down to the
 * line asked for, and forgotten from the first changed line on: typing costs the lines between
 * the edit and the bottom of the view, a jump to the end of a long script one scan of it.
 *
 * Lines are numbered from 0 here.
 */
export class LineStates {
  private states = new Uint8Array(256);
  /** states[0 .. known) are right. */
  private known = 1;

  constructor() {
    this.states[0] = INITIAL_LINE_STATE;
  }

  /** How many line states are known (for tests). */
  get knownLines(): number {
    return this.known;
  }

  /**
   * Line `line` (and maybe later ones) changed. The state at a line's start depends on the lines
   * above it and on its own emptiness (a cue needs text under it), so that line's state goes too.
   */
  changedFrom(line: number): void {
    this.known = Math.max(1, Math.min(this.known, line));
  }

  /** The state at the start of line `line`; `text(i)` gives line i's text (i < `lineCount`). */
  at(line: number, lineCount: number, text: (i: number) => string): LineState {
    if (line < this.known) return this.states[line]!;
    if (line >= this.states.length) {
      const grown = new Uint8Array(Math.max(line + 1, this.states.length * 2));
      grown.set(this.states.subarray(0, this.known));
      this.states = grown;
    }
    let i = this.known - 1;
    let state = this.states[i]!;
    let cur = text(i);
    while (i < line) {
      const next = i + 1 < lineCount ? text(i + 1) : undefined;
      state = scanLine(state, cur, next).after;
      i++;
      this.states[i] = state;
      cur = next ?? '';
    }
    this.known = line + 1;
    return state;
  }
}

/** Just the kinds, for callers (and tests) that need no tokens. */
export function lineKinds(text: string): LineKind[] {
  return classifyScript(text).map((l) => l.kind);
}
