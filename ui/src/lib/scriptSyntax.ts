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
const CN_SPEECH_RE = /^([^\s：:（(【△▲\[\]]{1,12})((?:（[^）]*）|\([^)]*\))?)\s*([：:])(.*)$/;

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

function speechLine(text: string, m: RegExpExecArray): ClassifiedLine {
  const indent = text.slice(0, text.length - text.trimStart().length);
  const [, name, paren, colon, rest] = m;
  const tokens: Token[] = [];
  if (indent) tokens.push({ kind: 'plain', text: indent });
  tokens.push({ kind: 'character', text: name! });
  if (paren) tokens.push({ kind: 'parenthetical', text: paren });
  tokens.push({ kind: 'marker', text: colon! });
  if (rest) tokens.push(...withNotes(rest, 'dialogue'));
  return { kind: 'speech', tokens };
}

/** Classifies every line of `text` (split on \n; a trailing \r is kept in the token text). */
export function classifyScript(text: string): ClassifiedLine[] {
  return classifyLines(text.split('\n'));
}

export function classifyLines(lines: readonly string[]): ClassifiedLine[] {
  const out: ClassifiedLine[] = [];
  let inBoneyard = false;
  let inDialogue = false;
  // The title page: `Key: value` lines at the very top, up to the first blank line.
  let inTitlePage = true;
  let seenContent = false;

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const t = raw.replace(/\r$/, '').trim();

    if (inBoneyard) {
      out.push(line('note', raw));
      if (t.includes('*/')) inBoneyard = false;
      continue;
    }
    if (t.startsWith('/*')) {
      out.push(line('note', raw));
      if (!t.includes('*/', 2)) inBoneyard = true;
      continue;
    }

    if (!t) {
      out.push(line('blank', raw));
      inDialogue = false;
      if (seenContent) inTitlePage = false;
      continue;
    }
    const first = !seenContent;
    seenContent = true;

    if (inTitlePage) {
      if (FOUNTAIN_META_RE.test(t) && !isSceneHeading(t) && !isTransition(t)) {
        out.push(line('meta', raw));
        continue;
      }
      // Indented continuation of a title-page field (e.g. a multi-line Contact:).
      if (!first && /^\s/.test(raw) && out[out.length - 1]?.kind === 'meta') {
        out.push(line('meta', raw));
        continue;
      }
      if (!FOUNTAIN_META_RE.test(t)) inTitlePage = false;
    }

    if (inDialogue) {
      if (/^[(（].*[)）]$/.test(t)) out.push(line('parenthetical', raw));
      else out.push(line('dialogue', raw));
      continue;
    }

    if (/^\[\[[\s\S]*\]\]$/.test(t) && !/\]\].*\[\[/.test(t)) {
      out.push(line('note', raw));
      continue;
    }
    if (/^#(?!#*\s*$)/.test(t) || (/^=(?!==)/.test(t) && t.length > 1)) {
      out.push(line('note', raw));
      continue;
    }
    if (EPISODE_RE.test(t)) {
      out.push(line('episode', raw));
      continue;
    }
    if (isSceneHeading(t)) {
      out.push(line('scene', raw));
      continue;
    }
    if (t.startsWith('>') && t.endsWith('<')) {
      out.push(line('centered', raw));
      continue;
    }
    if (isTransition(t)) {
      out.push(line('transition', raw));
      continue;
    }
    if (/^[△▲]/.test(t) || t.startsWith('!')) {
      out.push(line('action', raw));
      continue;
    }
    // A whole-line Chinese stage direction: （林雪别过头，眼中闪过一丝冷意）
    if (/^（.*）$/.test(t) || (/^\(.*\)$/.test(t) && CJK.test(t))) {
      out.push(line('parenthetical', raw));
      continue;
    }

    const cjkMeta = /^([^\s：:]{1,8})[：:]/.exec(t);
    if (cjkMeta && CN_META_KEYS.has(cjkMeta[1]!)) {
      out.push(line('meta', raw));
      continue;
    }

    const speech = CN_SPEECH_RE.exec(raw.trimEnd().replace(/\r$/, ''));
    if (speech) {
      const name = speech[1]!;
      // A full-width colon marks a speaker; an ASCII one only when the name is Chinese
      // (so English `Note: …` action stays action).
      if (speech[3] === '：' || CJK.test(name)) {
        out.push(speechLine(raw, speech));
        continue;
      }
    }

    // Fountain cue: ALL CAPS, after a blank line (or the start), with text on the next line.
    const prevBlank = i === 0 || !lines[i - 1]!.trim();
    const next = lines[i + 1];
    const nextHasText = next !== undefined && next.trim() !== '';
    if (prevBlank && nextHasText && isFountainCue(t)) {
      out.push(line('character', raw));
      inDialogue = true;
      continue;
    }

    out.push(line('action', raw));
  }
  return out;
}

/** Just the kinds, for callers (and tests) that need no tokens. */
export function lineKinds(text: string): LineKind[] {
  return classifyScript(text).map((l) => l.kind);
}
