/**
 * Issue 14: no string is left untranslated. (a) Both catalogues have the same keys and no empty
 * values; (b) the converted screens (CONVERTED below) show no text that skips the translation
 * function: no JSX text, no literal user-visible prop (title, placeholder, aria-label, alt, label)
 * and no literal toast/notice message. A later pass converts more screens by adding them here.
 */
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import en from './en.json';
import zhCN from './zh-CN.json';

/** Every component's source, keyed by its path relative to ui/src ("components/App.tsx"). */
const SOURCES: Record<string, string> = Object.fromEntries(
  Object.entries(
    import.meta.glob('../components/**/*.tsx', { query: '?raw', import: 'default', eager: true }) as Record<string, string>,
  ).map(([file, text]) => [file.replace(/^\.\.\//, ''), text]),
);

/** Files and folders (relative to ui/src) whose every string goes through the catalogues. */
export const CONVERTED = [
  'components/App.tsx',
  'components/Sidebar.tsx',
  'components/LanguageSwitcher.tsx',
  'components/ProjectsPage.tsx',
  'components/ProjectRow.tsx',
  'components/NewProjectDialog.tsx',
  'components/SamplesDialog.tsx',
  'components/SamplesList.tsx',
  'components/CreditsPage.tsx',
  'components/Modal.tsx',
  'components/Toasts.tsx',
  'components/ConfirmDeleteDialog.tsx',
  'components/EmptyState.tsx',
  'components/Pagination.tsx',
  'components/SecretRevealDialog.tsx',
  'components/Badges.tsx',
  'components/RunEstimate.tsx',
  'components/account',
  'components/team',
  'components/connection',
  'components/providers',
  'components/router',
  'components/payments',
  'components/operations',
  'components/editor/BreakdownPanel.tsx',
  'components/editor/ScriptEditor.tsx',
  'components/editor/ReviewQueue.tsx',
  'components/editor/ReviewStage.tsx',
  'components/editor/ReviewDialogs.tsx',
  'components/editor/RunsTab.tsx',
  'components/editor/AssetsTab.tsx',
  'components/editor/AssetModelLabel.tsx',
  'components/editor/ProjectSettingsDialog.tsx',
  'components/editor/StoryboardTab.tsx',
  'components/editor/ShotCard.tsx',
  'components/editor/CharactersTab.tsx',
  'components/editor/ExportDialog.tsx',
  'components/editor/ShareDialog.tsx',
  'components/editor/ShareForm.tsx',
  'components/editor/SharedLinks.tsx',
  'components/editor/DesktopShareDialog.tsx',
  'components/editor/QueuedShareView.tsx',
  'components/editor/QueuedShares.tsx',
  'components/editor/ScriptTab.tsx',
  'components/editor/EditorPage.tsx',
  'components/sync',
  'components/summarize',
  'components/create',
  'components/publish',
];

/** Text that is the same in every language (the product's name, key caps, language names). */
const SAME_IN_EVERY_LANGUAGE = new Set(['Storyloom', 'N', 'A', 'R', 'U', 'Z', 'English', '中文', 'v', 'name@example.com', 'https://team.example.com', 'https://api.example.com/v1']);

const VISIBLE_PROPS = new Set(['title', 'placeholder', 'aria-label', 'alt', 'label', 'aria-description']);
const MESSAGE_PROPERTIES = new Set(['message', 'label', 'title', 'notice', 'placeholder']);

function flatten(obj: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
    for (const [k, v] of Object.entries(obj)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out[prefix] = obj;
  }
  return out;
}

function filesOf(rel: string): string[] {
  const files = Object.keys(SOURCES).filter(
    (f) => (f === rel || f.startsWith(`${rel}/`)) && !f.endsWith('.test.tsx'),
  );
  if (files.length === 0) throw new Error(`${rel}: no such component file or folder`);
  return files;
}

const hasWords = (s: string) => /[A-Za-z\u3400-\u9fff]/.test(s);
const shown = (s: string) => hasWords(s.replace(/\bStoryloom\b/g, '')) && !SAME_IN_EVERY_LANGUAGE.has(s.trim());

/** Literal text a user would read, with its line, in one .tsx file. */
export function untranslated(file: string, source = SOURCES[file] ?? ''): string[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: string[] = [];
  const report = (node: ts.Node, text: string) => {
    const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    found.push(`${file}:${line + 1}: ${JSON.stringify(text.trim())}`);
  };
  const literalText = (e: ts.Expression | undefined): string | null => {
    if (!e) return null;
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
    if (ts.isTemplateExpression(e)) return [e.head.text, ...e.templateSpans.map((s) => s.literal.text)].join(' ');
    if (ts.isParenthesizedExpression(e)) return literalText(e.expression);
    if (ts.isConditionalExpression(e)) {
      const a = literalText(e.whenTrue);
      const b = literalText(e.whenFalse);
      return a !== null && shown(a) ? a : b;
    }
    if (ts.isBinaryExpression(e) && (e.operatorToken.kind === ts.SyntaxKind.BarBarToken || e.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken || e.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken)) {
      return literalText(e.right);
    }
    return null;
  };
  const visit = (node: ts.Node) => {
    if (ts.isJsxText(node)) {
      if (shown(node.text)) report(node, node.text);
    } else if (ts.isJsxExpression(node) && node.parent && (ts.isJsxElement(node.parent) || ts.isJsxFragment(node.parent))) {
      const text = literalText(node.expression);
      if (text !== null && shown(text)) report(node, text);
    } else if (ts.isJsxAttribute(node)) {
      const name = node.name.getText(sf);
      if (VISIBLE_PROPS.has(name) && node.initializer) {
        const text = ts.isStringLiteral(node.initializer)
          ? node.initializer.text
          : ts.isJsxExpression(node.initializer)
            ? literalText(node.initializer.expression)
            : null;
        if (text !== null && shown(text)) report(node, text);
      }
    } else if (ts.isPropertyAssignment(node) && MESSAGE_PROPERTIES.has(node.name.getText(sf))) {
      const text = literalText(node.initializer);
      if (text !== null && shown(text)) report(node, text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

describe('the catalogues', () => {
  const enKeys = flatten(en);
  const zhKeys = flatten(zhCN);

  it('have the same keys', () => {
    expect(Object.keys(zhKeys).sort()).toEqual(Object.keys(enKeys).sort());
  });

  it('have no empty values', () => {
    const empty = [...Object.entries(enKeys), ...Object.entries(zhKeys)].filter(
      ([, v]) => typeof v !== 'string' || v.trim() === '',
    );
    expect(empty).toEqual([]);
  });

  it('use the same placeholders in both languages', () => {
    const vars = (s: unknown) => [...String(s).matchAll(/{{\s*(\w+)/g)].map((m) => m[1]).sort();
    const differ = Object.keys(enKeys).filter((k) => vars(enKeys[k]).join() !== vars(zhKeys[k]).join());
    expect(differ).toEqual([]);
  });
});

describe('converted screens', () => {
  it('the check finds literal text', () => {
    const sample = `export const A = () => <div title="Hello">Hi {x ? 'yes' : 'no'}<b aria-label={\`Open \${n}\`} />{t('ok')}</div>;
      toasts.show({ kind: 'error', message: 'Oops' });`;
    expect(untranslated('sample.tsx', sample)).toHaveLength(5);
    expect(untranslated('ok.tsx', `export const B = () => <p title={t('a')}>{t('b')} · Storyloom</p>;`)).toEqual([]);
  });

  it.each(CONVERTED)('%s shows only translated text', (rel) => {
    const found = filesOf(rel).flatMap((f) => untranslated(f));
    expect(found.join('\n')).toBe('');
  });
});
