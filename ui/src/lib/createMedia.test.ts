import { afterEach, describe, expect, it } from 'vitest';
import { i18n } from '../i18n';
import { ApiError } from '../transport/errors';
import {
  deckRequest,
  EMPTY_DECK_FORM,
  EMPTY_IMAGE_FORM,
  EMPTY_VIDEO_FORM,
  imageRequest,
  isCreditsError,
  isMediaTool,
  mediaFieldErrors,
  outlinePoint,
  parseOutline,
  parseSeed,
  validateDeckForm,
  validateImageForm,
  validateVideoForm,
  videoProgressPercent,
  videoRequest,
  DECK_FIELDS,
  IMAGE_FIELDS,
} from './create';

afterEach(async () => {
  await i18n.changeLanguage('en');
});

describe('the deck form', () => {
  it('splits the outline into one point a line: trimmed, blank lines dropped, bullets kept', () => {
    expect(parseOutline('Why now\r\n\n  Core features：离线；多端同步  \n\nPricing\n   \n')).toEqual(['Why now', 'Core features：离线；多端同步', 'Pricing']);
    expect(parseOutline('   \n\n')).toEqual([]);
    expect(outlinePoint('核心功能：离线；多端同步')).toEqual({ title: '核心功能', bullets: ['离线', '多端同步'] });
    expect(outlinePoint('Pricing: free; pro ;')).toEqual({ title: 'Pricing', bullets: ['free', 'pro'] });
    // Nothing before the colon: a title as it stands.
    expect(outlinePoint('：odd')).toEqual({ title: '：odd', bullets: [] });
  });

  it('sends the topic trimmed, the outline as a list and requirements only when given', () => {
    expect(deckRequest({ topic: '  Launch ', outline: 'Why now\n\nCore features：离线；多端同步\n', requirements: '  ' })).toEqual({
      topic: 'Launch',
      outline: ['Why now', 'Core features：离线；多端同步'],
    });
    expect(deckRequest({ topic: 'Launch', outline: 'A', requirements: ' For investors ' })).toEqual({ topic: 'Launch', outline: ['A'], requirements: 'For investors' });
  });

  it('checks the topic and the outline as the server does', () => {
    expect(validateDeckForm(EMPTY_DECK_FORM)).toEqual({ topic: "Enter the deck's topic.", outline: 'Write at least one outline point.' });
    const many = Array.from({ length: 31 }, (_, i) => `Point ${i + 1}`).join('\n');
    expect(validateDeckForm({ topic: 'T', outline: many, requirements: '' })).toEqual({ outline: 'At most 30 points (one slide each).' });
    expect(validateDeckForm({ topic: 'T', outline: `ok\n${'x'.repeat(501)}`, requirements: '' })).toEqual({ outline: 'A point is at most 500 characters.' });
    expect(validateDeckForm({ topic: 'T', outline: 'ok', requirements: '' })).toEqual({});
  });
});

describe('the image form', () => {
  it('sends the size, and the negative prompt and seed only when given', () => {
    expect(imageRequest({ ...EMPTY_IMAGE_FORM, prompt: ' A rainy street ' })).toEqual({ prompt: 'A rainy street', size: '1024x1024' });
    expect(imageRequest({ prompt: 'x', size: '720x1280', negativePrompt: ' text ', seed: '42' })).toEqual({ prompt: 'x', size: '720x1280', negative_prompt: 'text', seed: 42 });
  });

  it('asks for a prompt and a whole seed', () => {
    expect(validateImageForm(EMPTY_IMAGE_FORM)).toEqual({ prompt: 'Describe what to draw.' });
    expect(validateImageForm({ ...EMPTY_IMAGE_FORM, prompt: 'x', seed: '-1' })).toEqual({ seed: 'A seed is a whole number from 0.' });
    expect(parseSeed('007')).toBe(7);
    expect(parseSeed('1.5')).toBeNull();
    expect(parseSeed('99999999999999999999')).toBeNull();
  });
});

describe('the video form', () => {
  it('sends the script, the workflow, and the title and length when given', () => {
    expect(videoRequest({ ...EMPTY_VIDEO_FORM, script: 'INT. HALL' })).toEqual({ script: 'INT. HALL', workflow: 'animatic' });
    expect(videoRequest({ title: ' Rain ', script: 'INT. HALL', duration: '45', workflow: 'full_production' })).toEqual({
      script: 'INT. HALL',
      workflow: 'full_production',
      title: 'Rain',
      duration: 45,
    });
  });

  it('asks for a script and a length of 5–600 whole seconds', () => {
    expect(validateVideoForm(EMPTY_VIDEO_FORM)).toEqual({ script: 'Paste or write the script.' });
    for (const d of ['4', '601', '12.5', 'abc']) {
      expect(validateVideoForm({ ...EMPTY_VIDEO_FORM, script: 'x', duration: d })).toEqual({ duration: 'A whole number of seconds from 5 to 600.' });
    }
    expect(validateVideoForm({ ...EMPTY_VIDEO_FORM, script: 'x', duration: '600' })).toEqual({});
  });

  it('shows progress in whole percent, 100 once completed', () => {
    expect(videoProgressPercent({ status: 'processing', progress: 0.414 })).toBe(41);
    expect(videoProgressPercent({ status: 'processing', progress: 1.7 })).toBe(100);
    expect(videoProgressPercent({ status: 'pending', progress: Number.NaN })).toBe(0);
    expect(videoProgressPercent({ status: 'completed', progress: 0.98 })).toBe(100);
  });
});

describe('refused requests', () => {
  it('marks the field a 422 names, among the form’s fields only', () => {
    const outline = new ApiError(422, { detail: 'outline: at most 30 points', error_code: 'VALIDATION_ERROR', retryable: false, field: 'body.outline' });
    expect(mediaFieldErrors(outline, DECK_FIELDS)).toEqual({ outline: 'outline: at most 30 points' });
    expect(mediaFieldErrors(outline, IMAGE_FIELDS)).toEqual({});
    const model = new ApiError(422, { detail: 'no such model', error_code: 'VALIDATION_ERROR', retryable: false, field: 'model_id' });
    expect(mediaFieldErrors(model, DECK_FIELDS)).toEqual({});
    expect(mediaFieldErrors(new Error('x'), DECK_FIELDS)).toEqual({});
  });

  it('knows a credits refusal (402)', () => {
    expect(isCreditsError(new ApiError(402, { detail: 'not enough credits', error_code: 'CREDITS_EXCEEDED', retryable: false }))).toBe(true);
    expect(isCreditsError(new ApiError(422, { detail: 'x', error_code: 'VALIDATION_ERROR', retryable: false }))).toBe(false);
    expect(isMediaTool('deck')).toBe(true);
    expect(isMediaTool('video_script')).toBe(false);
    expect(isMediaTool(null)).toBe(false);
  });
});
