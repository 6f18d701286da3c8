import { APO_STOP_SEQUENCES, cutAtStop, findStop } from './text';

describe('cutAtStop', () => {
  it('cuts at the first "\\nHuman" and drops it (APO reference)', () => {
    expect(cutAtStop(' Sure, here it is.\n\nHuman: thanks\n\nAssistant: ok')).toEqual({ text: ' Sure, here it is.\n', stopped: true });
    expect(APO_STOP_SEQUENCES).toEqual(['\nHuman']);
  });
  it('leaves text without a stop sequence alone', () => {
    expect(cutAtStop('no stop here', ['\nHuman'])).toEqual({ text: 'no stop here', stopped: false });
  });
  it('picks the earliest of several stop sequences, ignoring empty ones', () => {
    expect(cutAtStop('a</s>b\nHuman', ['', '\nHuman', '</s>'])).toEqual({ text: 'a', stopped: true });
    expect(findStop('xxABC', ['ABC', 'AB'])).toEqual({ index: 2, stop: 'ABC' });
    expect(findStop('AB AB', ['AB'], 1)).toEqual({ index: 3, stop: 'AB' });
    expect(findStop('abc', [])).toBeUndefined();
  });
});
