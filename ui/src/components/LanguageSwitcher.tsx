import { LOCALE_NAMES, LOCALES, setLocale, useLocale, useT, type Locale } from '../i18n';

/** The UI's language, in the sidebar: 中文 / English; the choice is remembered (src/i18n). */
export function LanguageSwitcher() {
  const t = useT();
  const locale = useLocale();
  return (
    <div className="segmented language-switcher" role="group" aria-label={t('language.switch')} data-testid="language-switcher">
      {LOCALES.map((l: Locale) => (
        <button
          key={l}
          type="button"
          lang={l}
          className={`segment${locale === l ? ' active' : ''}`}
          aria-pressed={locale === l}
          data-testid={`language-${l}`}
          onClick={() => void setLocale(l)}
        >
          {LOCALE_NAMES[l]}
        </button>
      ))}
    </div>
  );
}
