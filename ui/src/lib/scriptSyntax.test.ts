import { describe, expect, it } from 'vitest';
import { classifyLines, classifyScript, lineKinds, type LineKind } from './scriptSyntax';

/** Kind of the last line of `lines` (earlier lines give it context). */
function kindOf(...lines: string[]): LineKind {
  return classifyLines(lines).at(-1)!.kind;
}

describe('classifyLines: one line at a time', () => {
  const table: [string, string[], LineKind][] = [
    ['Fountain INT. heading', ['INT. KITCHEN - NIGHT'], 'scene'],
    ['Fountain EXT. heading with scene number', ['EXT. TRAIN STATION - NIGHT #1#'], 'scene'],
    ['INT./EXT. heading', ['INT./EXT. CAR - DAY'], 'scene'],
    ['lowercase int. heading', ['int. garage - day'], 'scene'],
    ['forced heading', ['.FLASHBACK - MAYA\'S APARTMENT'], 'scene'],
    ['an ellipsis is not a forced heading', ['...and then'], 'action'],
    ['场景N：', ['场景1：医院病房 夜 内'], 'scene'],
    ['场景 with Chinese numeral', ['场景十二 天台 夜'], 'scene'],
    ['第N场', ['第3场 客厅 日'], 'scene'],
    ['场N', ['场4 林雪卧室 夜 内'], 'scene'],
    ['N-M numbering', ['1-2 林家客厅 日 内'], 'scene'],
    ['【场景】 heading', ['【场景】林家花园 黄昏 外'], 'scene'],
    ['【字幕…】 is not a heading', ['【字幕：第1集 完】'], 'action'],
    ['第N集 episode', ['第1集：重生归来'], 'episode'],
    ['第十集 episode', ['第十集'], 'episode'],
    ['Chinese speech', ['林雪：我累了，你先回去吧。'], 'speech'],
    ['Chinese speech with emotion', ['顾辰（温柔地）：我一直守着你。'], 'speech'],
    ['Chinese speech with ASCII colon', ['苏婉:姐姐，你是不是还在生我的气？'], 'speech'],
    ['Chinese speech with OS', ['林雪（OS）：上一世……'], 'speech'],
    ['English "Note:" is action, not speech', ['INT. A - DAY', '', 'Note: the rain stops.'], 'action'],
    ['header field 剧名', ['剧名：重生之逆袭千金'], 'meta'],
    ['人物 list', ['人物：林雪、顾辰'], 'meta'],
    ['△ action', ['△林雪猛地睁开眼睛。'], 'action'],
    ['▲ action', ['▲门开了。'], 'action'],
    ['Chinese stage direction in brackets', ['（林雪别过头，眼中闪过一丝冷意）'], 'parenthetical'],
    ['CUT TO:', ['', 'CUT TO:'], 'transition'],
    ['FADE IN:', ['FADE IN:'], 'transition'],
    ['FADE OUT.', ['', 'FADE OUT.'], 'transition'],
    ['forced transition', ['', '> BURN TO WHITE.'], 'transition'],
    ['Chinese transition', ['切至：天台'], 'transition'],
    ['centred text', ['', '> THE END <'], 'centered'],
    ['whole-line note', ['[[Does the conductor know Leo?]]'], 'note'],
    ['section', ['# Act One'], 'note'],
    ['synopsis', ['= Maya returns home.'], 'note'],
    ['plain action', ['', 'Rain hammers the empty platform.'], 'action'],
    ['blank', ['   '], 'blank'],
  ];
  it.each(table)('%s', (_name, lines, expected) => {
    expect(kindOf(...lines)).toBe(expected);
  });
});

describe('classifyLines: Fountain dialogue blocks', () => {
  it('cue, parenthetical, dialogue, then action after the blank line', () => {
    expect(lineKinds(['', 'MAYA', '(muttering)', 'Come on, come on.', '', 'A whistle.'].join('\n'))).toEqual([
      'blank',
      'character',
      'parenthetical',
      'dialogue',
      'blank',
      'action',
    ]);
  });

  it('accepts extensions, CONT\'D, dual dialogue and forced @names', () => {
    for (const cue of ['LEO (O.S.)', "CONDUCTOR (CONT'D)", 'LEO ^', '@McCLANE', 'MAYA (V.O.)']) {
      expect(classifyLines(['', cue, 'Hello.'])[1]!.kind, cue).toBe('character');
      expect(classifyLines(['', cue, 'Hello.'])[2]!.kind, cue).toBe('dialogue');
    }
  });

  it('an ALL CAPS line with nothing under it is action, not a cue', () => {
    expect(classifyLines(['', 'BANG', ''])[1]!.kind).toBe('action');
    expect(kindOf('', 'BANG')).toBe('action');
  });

  it('an ALL CAPS line right after text is not a cue', () => {
    expect(classifyLines(['Maya runs.', 'STOP', 'She stops.'])[1]!.kind).toBe('action');
  });

  it('a line with lowercase letters is never a cue', () => {
    expect(classifyLines(['', 'Maya', 'Hello.'])[1]!.kind).toBe('action');
  });
});

describe('classifyLines: title page and boneyard', () => {
  it('reads the title page fields, indented continuations included', () => {
    const kinds = lineKinds(['Title: The Last Train', 'Contact:', '    jane@example.com', '', 'FADE IN:'].join('\n'));
    expect(kinds).toEqual(['meta', 'meta', 'meta', 'blank', 'transition']);
  });

  it('only at the top: Key: value later in the script is action', () => {
    expect(kindOf('INT. ROOM - DAY', '', 'Later: she leaves.')).toBe('action');
  });

  it('colours a /* … */ boneyard over several lines as a note', () => {
    expect(lineKinds(['/* An older draft', 'had a fight here.', 'It did not work. */', '', 'MAYA', 'Hi.'].join('\n'))).toEqual([
      'note',
      'note',
      'note',
      'blank',
      'character',
      'dialogue',
    ]);
  });
});

describe('tokens', () => {
  it('splits a Chinese speech line into cue, emotion, colon and dialogue', () => {
    const [l] = classifyScript('顾辰（压低声音）：别自己吓自己，有我在。');
    expect(l!.tokens).toEqual([
      { kind: 'character', text: '顾辰' },
      { kind: 'parenthetical', text: '（压低声音）' },
      { kind: 'marker', text: '：' },
      { kind: 'dialogue', text: '别自己吓自己，有我在。' },
    ]);
  });

  it('cuts inline [[notes]] out of any line', () => {
    const [l] = classifyScript('△林雪推门而入。[[换成夜戏？]] 苏婉在喝茶。');
    expect(l!.kind).toBe('action');
    expect(l!.tokens).toEqual([
      { kind: 'action', text: '△林雪推门而入。' },
      { kind: 'note', text: '[[换成夜戏？]]' },
      { kind: 'action', text: ' 苏婉在喝茶。' },
    ]);
  });

  it('the tokens of every line put together give back the text exactly', () => {
    const text = [
      'Title: X',
      '',
      'INT. A - DAY',
      '',
      'BOB',
      '(beat)',
      'Hi [[n]] there.',
      '',
      '  林雪（哭着）：别走。',
      '林雪（哭着） ：别走。  ',
      '苏婉：好。\r',
      '\r',
      '第2集',
    ].join('\n');
    const rebuilt = classifyScript(text)
      .map((l) => l.tokens.map((t) => t.text).join(''))
      .join('\n');
    expect(rebuilt).toBe(text);
  });

  it('classifies a whole sample-like Chinese script', () => {
    const text = [
      '剧名：重生之逆袭千金',
      '',
      '第1集：重生归来',
      '',
      '场景1：医院病房 夜 内',
      '人物：林雪、顾辰',
      '△林雪猛地睁开眼睛。',
      '林雪（喘息）：我……我没死？',
      '（林雪别过头）',
      '【字幕：第1集 完】',
    ].join('\n');
    expect(lineKinds(text)).toEqual([
      'meta',
      'blank',
      'episode',
      'blank',
      'scene',
      'meta',
      'action',
      'speech',
      'parenthetical',
      'action',
    ]);
  });
});
