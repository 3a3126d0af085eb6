import { describe, expect, it } from 'vitest';
import { plotlyInlineSource } from './plotly-source.js';
import { formatNumber, renderReport } from './render-report.js';

const figure = { data: [{ type: 'scatter', x: [1, 2], y: [3, 4] }], layout: { title: { text: 'f' } } };

describe('renderReport', () => {
  const html = renderReport({
    title: 'Run <1> & "two"',
    subtitle: 'seed 7',
    sections: [
      { title: 'Curves', text: 'first para\nsame para\n\n<script>alert(1)</script>', figures: [figure, figure] },
      { title: 'Table', table: { columns: ['split', 'R@1'], rows: [['test', 0.123456], ['val', Number.NaN]] } },
    ],
  });

  it('escapes every piece of user text', () => {
    expect(html).toContain('<title>Run &lt;1&gt; &amp; &quot;two&quot;</title>');
    expect(html).toContain('<p>first para<br>same para</p>');
    expect(html).toContain('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>');
    expect(html).toContain('<td class="num">0.1235</td>');
    expect(html).toContain('<td class="num">NaN</td>');
  });

  it('inlines plotly and references nothing outside the page', () => {
    expect(html).toContain(plotlyInlineSource());
    const ownMarkup = html.replace(plotlyInlineSource(), '');
    expect(ownMarkup).not.toMatch(/https?:|\/\/[a-z]|\bsrc=|<link\b|@import|url\(/i);
    expect(ownMarkup).toContain("default-src 'none'");
    expect(ownMarkup.match(/class="figure"/g)).toHaveLength(2);
    // The figure JSON is one parseable block holding both figures in order.
    const json = /<script type="application\/json" id="modalab-figures">(.*?)<\/script>/s.exec(html)?.[1];
    expect(JSON.parse(json!)).toEqual([figure, figure]);
  });

  it('rejects malformed specs with the path', () => {
    expect(() => renderReport({ title: 't', sections: [{ title: 's', figures: [{ data: [], layout: {}, extra: 1 } as never] }] })).toThrow(
      /invalid spec at sections\.0\.figures\.0: Unrecognized key/,
    );
    expect(() => renderReport({ title: 't', sections: [{ title: 's', table: { columns: ['a', 'b'], rows: [[1]] } }] })).toThrow(
      /section 's' row 0 has 1 cells but there are 2 columns/,
    );
  });
});

describe('formatNumber', () => {
  it('keeps integers, rounds to 4 significant digits, names non-finite values', () => {
    expect(formatNumber(42)).toBe('42');
    expect(formatNumber(0.333333)).toBe('0.3333');
    expect(formatNumber(12.34567)).toBe('12.35');
    expect(formatNumber(12345.678)).toBe('12345.7');
    expect(formatNumber(0.0000123)).toBe('1.230e-5');
    expect(formatNumber(Number.NEGATIVE_INFINITY)).toBe('−∞');
  });
});
