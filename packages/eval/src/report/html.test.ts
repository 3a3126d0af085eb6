import { describe, expect, it } from 'vitest';
import { escapeHtml, jsonForScript, scriptForInline } from './html.js';

describe('html escaping', () => {
  it('escapes text and attribute characters', () => {
    expect(escapeHtml(`<a href="x">Tom's & co</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom&#39;s &amp; co&lt;/a&gt;');
  });

  it('keeps JSON parseable and unable to close its script element', () => {
    const value = { label: '</script><!-- \u2028', n: 1 };
    const text = jsonForScript(value);
    expect(text).not.toMatch(/<\/script|<!--/i);
    expect(JSON.parse(text)).toEqual(value);
  });

  it('neutralises </script and <!-- in inline JS without changing its meaning', () => {
    const source = `var a = "</SCRIPT>"; var b = "<!--";`;
    const safe = scriptForInline(source);
    expect(safe).not.toMatch(/<\/script|<!--/i);
    // eslint-disable-next-line no-new-func -- evaluating both versions is the point of the test
    const run = (code: string): unknown => new Function(`${code}; return [a, b];`)();
    expect(run(safe)).toEqual(run(source));
  });
});
