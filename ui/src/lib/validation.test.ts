import { describe, expect, it } from 'vitest';
import { MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS, formFieldFor, hasErrors, validateName, validateProjectForm } from './validation';

describe('validateName', () => {
  it('requires a non-blank name', () => {
    expect(validateName('')).toMatch(/required/);
    expect(validateName('   \t')).toMatch(/required/);
    expect(validateName('Pilot')).toBeNull();
  });

  it('allows exactly the maximum, counted in characters (not UTF-16 units)', () => {
    expect(validateName('a'.repeat(MAX_NAME_CHARS))).toBeNull();
    expect(validateName('a'.repeat(MAX_NAME_CHARS + 1))).toMatch(/at most 200/);
    // 200 emoji are 400 UTF-16 units but 200 characters, as the server counts them.
    expect(validateName('🎬'.repeat(MAX_NAME_CHARS))).toBeNull();
  });

  it('ignores surrounding whitespace when counting', () => {
    expect(validateName(`  ${'a'.repeat(MAX_NAME_CHARS)}  `)).toBeNull();
  });
});

describe('validateProjectForm', () => {
  it('accepts a valid form', () => {
    const errors = validateProjectForm({ name: 'Pilot', description: '', aspect_ratio: '9:16' });
    expect(errors).toEqual({});
    expect(hasErrors(errors)).toBe(false);
  });

  it('reports each bad field', () => {
    const errors = validateProjectForm({
      name: ' ',
      description: 'x'.repeat(MAX_DESCRIPTION_CHARS + 1),
      aspect_ratio: '4:3' as never,
    });
    expect(Object.keys(errors).sort()).toEqual(['aspect_ratio', 'description', 'name']);
    expect(hasErrors(errors)).toBe(true);
  });

  it('hasErrors ignores cleared fields', () => {
    expect(hasErrors({ name: undefined })).toBe(false);
  });
});

describe('formFieldFor', () => {
  const fields = ['name', 'description', 'aspect_ratio'];
  it('maps server field paths to form fields', () => {
    expect(formFieldFor('name', fields)).toBe('name');
    expect(formFieldFor('/aspect_ratio', fields)).toBe('aspect_ratio');
    expect(formFieldFor('body.description', fields)).toBe('description');
  });

  it('returns null for fields not on the form', () => {
    expect(formFieldFor('style', fields)).toBeNull();
    expect(formFieldFor(undefined, fields)).toBeNull();
    expect(formFieldFor('', fields)).toBeNull();
  });
});
