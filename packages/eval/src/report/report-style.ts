/** Default look: system fonts only (no web fonts), readable line length, quiet tables. */
export const REPORT_CSS = `
:root { color-scheme: light; --fg: #1d1d1f; --muted: #5f6368; --rule: #dcdfe3; --band: #f6f7f9; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff;
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 32px 24px 64px; }
header { border-bottom: 1px solid var(--rule); margin-bottom: 24px; }
h1 { font-size: 1.8rem; margin: 0 0 4px; }
.subtitle { color: var(--muted); margin: 0 0 16px; }
nav ol { margin: 0 0 16px; padding-left: 20px; color: var(--muted); }
nav a { color: inherit; }
section { margin: 40px 0; }
h2 { font-size: 1.3rem; border-bottom: 1px solid var(--rule); padding-bottom: 4px; }
p { max-width: 75ch; }
.figure { margin: 16px 0; min-height: 320px; overflow-x: auto; }
.figure-error { color: #b00020; white-space: pre-wrap; font-family: ui-monospace, monospace; }
table { border-collapse: collapse; margin: 16px 0; font-size: 0.92rem; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 12px; border-bottom: 1px solid var(--rule); text-align: left; }
th { background: var(--band); font-weight: 600; }
td.num { text-align: right; }
tbody tr:hover { background: var(--band); }
`;
