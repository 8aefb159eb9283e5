/**
 * The UI's languages (issue 14): Simplified Chinese and English, following the browser's or the
 * desktop webview's language (the webview reports the system's) until the user picks one in the
 * sidebar; the pick is remembered in localStorage. Strings live in `src/locales/*.json`
 * (see src/locales/README.md); components read them through `useT()`, plain modules through `t`.
 */
import i18next from 'i18next';
import { initReactI18next, useTranslation } from 'react-i18next';
import en from '../locales/en.json';
import zhCN from '../locales/zh-CN.json';

export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];

/** Each language's own name, for the switcher. */
export const LOCALE_NAMES: Record<Locale, string> = { en: 'English', 'zh-CN': '中文' };

export const LOCALE_STORAGE_KEY = 'storyloom.locale';

function isLocale(v: unknown): v is Locale {
  return typeof v === 'string' && (LOCALES as readonly string[]).includes(v);
}

/**
 * The supported locale for a list of BCP 47 tags, best first: any Chinese (zh, zh-CN, zh-Hans,
 * zh-TW…) reads Simplified Chinese, the only Chinese there is; English otherwise.
 */
export function matchLocale(tags: readonly string[]): Locale {
  for (const tag of tags) {
    const lower = tag.toLowerCase();
    if (lower === 'zh' || lower.startsWith('zh-')) return 'zh-CN';
    if (lower === 'en' || lower.startsWith('en-')) return 'en';
  }
  return 'en';
}

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null; // storage disabled
  }
}

/** The remembered choice, else the browser's / system's languages. */
export function detectLocale(): Locale {
  const stored = storage()?.getItem(LOCALE_STORAGE_KEY);
  if (isLocale(stored)) return stored;
  if (typeof navigator === 'undefined') return 'en';
  const tags = navigator.languages?.length ? navigator.languages : [navigator.language ?? 'en'];
  return matchLocale(tags);
}

export const i18n = i18next.createInstance();

void i18n.use(initReactI18next).init({
  resources: { en: { translation: en }, 'zh-CN': { translation: zhCN } },
  lng: detectLocale(),
  fallbackLng: 'en',
  supportedLngs: [...LOCALES],
  interpolation: { escapeValue: false }, // React escapes
  initAsync: false, // the catalogues are bundled: ready before the first render
  returnNull: false,
});

function markDocument(locale: Locale) {
  if (typeof document !== 'undefined') document.documentElement.lang = locale;
}
markDocument(activeLocale());

/** The language the UI speaks now. */
export function activeLocale(): Locale {
  const l = i18n.resolvedLanguage ?? i18n.language;
  return isLocale(l) ? l : 'en';
}

/** Switches the UI's language and remembers it. */
export async function setLocale(locale: Locale): Promise<void> {
  storage()?.setItem(LOCALE_STORAGE_KEY, locale);
  await i18n.changeLanguage(locale);
  markDocument(locale);
}

/** For modules outside React (formatters, error messages): reads the active language. */
export const t = i18n.t.bind(i18n);

/** A component's translation function; it renders again when the language changes. */
export function useT() {
  return useTranslation(undefined, { i18n }).t;
}

/** The active locale, re-rendering on a switch (for Intl formatting in components). */
export function useLocale(): Locale {
  const { i18n: inst } = useTranslation(undefined, { i18n });
  const l = inst.resolvedLanguage ?? inst.language;
  return isLocale(l) ? l : 'en';
}

/**
 * A record of labels (`{ draft: 'Draft', … }`) whose values read the active language each time
 * one is looked up: modules keep exporting plain-looking label tables.
 */
export function translatedRecord<K extends string>(keys: Record<K, string>): Record<K, string> {
  const read = (k: string | symbol) =>
    typeof k === 'string' && Object.hasOwn(keys, k) ? (t(keys[k as K] as never) as string) : undefined;
  return new Proxy({} as Record<K, string>, {
    get: (_, k) => read(k),
    has: (_, k) => typeof k === 'string' && Object.hasOwn(keys, k),
    ownKeys: () => Object.keys(keys),
    getOwnPropertyDescriptor: (_, k) => {
      const value = read(k);
      return value === undefined ? undefined : { enumerable: true, configurable: true, value };
    },
  });
}

/** Whether the catalogue has `key` (for keys built from server values, e.g. error codes). */
export function hasKey(key: string): boolean {
  return i18n.exists(key);
}

export { Trans } from 'react-i18next';
