// The voice field's logic (issue 14): what counts as a picked voice name and which language a
// character's name suggests.
import { describe, expect, it } from 'vitest';
import { isVoiceName, languageOf } from './CharactersTab';

describe('voice field', () => {
  it('tells voice names from descriptions as the server does', () => {
    for (const name of ['cmn', 'en-us+f3', 'sit/yue-Latn-jyutping', 'alloy']) expect(isVoiceName(name)).toBe(true);
    for (const description of ['温柔女声，略带沙哑', 'calm baritone', '', '--stdout', 'a'.repeat(65)]) {
      expect(isVoiceName(description)).toBe(false);
    }
  });

  it('picks the language from the name', () => {
    expect(languageOf('林晓')).toBe('zh');
    expect(languageOf('Mrs. Chen')).toBe('en');
    expect(languageOf('Lily 林')).toBe('zh');
  });
});
