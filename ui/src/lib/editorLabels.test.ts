import { afterEach, describe, expect, it } from 'vitest';
import { ASSET_TYPES, CAMERA_MOVES, RUN_STATUSES, SHOT_TYPES, STEP_STATUSES } from '../api/types';
import { i18n, t } from '../i18n';
import { assetTypeLabel, cameraMoveLabel, nodeLabel, runStatusLabel, shotTypeLabel, stepStatusLabel, templateName } from './editorLabels';
import { costText, stepCost } from './providers';

afterEach(async () => {
  await i18n.changeLanguage('en');
});

describe('editor labels', () => {
  it('name every run status, node status and asset type in both languages', async () => {
    expect(runStatusLabel('waiting_review')).toBe('Waiting for review');
    expect(stepStatusLabel('pending')).toBe('Pending');
    expect(assetTypeLabel('keyframe_image')).toBe('Keyframe image');
    expect(templateName('animatic')).toBe('Animatic');
    await i18n.changeLanguage('zh-CN');
    expect(runStatusLabel('waiting_review')).toBe('等待审核');
    expect(stepStatusLabel('completed')).toBe('已完成');
    expect(assetTypeLabel('character_image')).toBe('角色图片');
    expect(templateName('full_production')).toBe('完整制作');
    // Every value the API defines has a catalogue entry (no humanized English in Chinese).
    for (const s of RUN_STATUSES) expect(runStatusLabel(s)).toMatch(/[\u3400-\u9fff]/);
    for (const s of STEP_STATUSES) expect(stepStatusLabel(s)).toMatch(/[\u3400-\u9fff]/);
    for (const a of ASSET_TYPES) expect(assetTypeLabel(a)).toMatch(/[\u3400-\u9fff]/);
  });

  it('name every shot size and camera move in both languages', async () => {
    expect(shotTypeLabel('close_up')).toBe('Close-up');
    expect(shotTypeLabel('pov')).toBe('POV');
    expect(cameraMoveLabel('dolly_in')).toBe('Dolly in');
    await i18n.changeLanguage('zh-CN');
    expect(shotTypeLabel('close_up')).toBe('特写');
    expect(cameraMoveLabel('handheld')).toBe('手持');
    for (const s of SHOT_TYPES) expect(shotTypeLabel(s)).toMatch(/[\u3400-\u9fff]/);
    for (const m of CAMERA_MOVES) expect(cameraMoveLabel(m)).toMatch(/[\u3400-\u9fff]/);
    // A newer server's value reads as itself, humanized.
    expect(shotTypeLabel('dutch_angle')).toBe('Dutch angle');
  });

  it('fall back to the humanized value, or the server’s name, for one the catalogue lacks', async () => {
    await i18n.changeLanguage('zh-CN');
    expect(runStatusLabel('on_hold')).toBe('On hold');
    expect(assetTypeLabel('hologram')).toBe('Hologram');
    expect(templateName('my_flow', 'My flow')).toBe('My flow');
  });

  it('translate a built-in node’s label, not a custom template’s', async () => {
    expect(nodeLabel('parse', 'Parse the script')).toBe('Parse the script');
    await i18n.changeLanguage('zh-CN');
    expect(nodeLabel('parse', 'Parse the script')).toBe('解析剧本');
    expect(nodeLabel('compose', null)).toBe('合成视频');
    expect(nodeLabel('parse', 'Read the novel')).toBe('Read the novel');
    expect(nodeLabel('upscale', 'Upscale')).toBe('Upscale');
    expect(nodeLabel('upscale', null)).toBe('upscale');
  });

  it('costs and plurals read the active language', async () => {
    await i18n.changeLanguage('zh-CN');
    expect(costText(stepCost({ cost_credits: 1200, estimate_credits: 1500 }), true)).toBe('1,200 积分（预计 1,500）');
    expect(t('review.blockedText', { count: 2, shots: '3, 4' })).toBe('镜头 3, 4 已被驳回，还没有通过的替换画面。请审核重新生成的画面，或继续并保留当前画面。');
    await i18n.changeLanguage('en');
    expect(t('review.blockedText', { count: 1, shots: '3' })).toMatch(/^Shot 3 was rejected and has/);
    expect(t('assets.trashCount', { count: 0, formatted: '0' })).toBe('0 assets in the trash');
    expect(t('review.sentKeeping', { count: 1 })).toBe('Review sent: 1 shot keeps its current frame; the run goes on');
  });
});
