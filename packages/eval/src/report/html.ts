const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * JSON safe inside <script type="application/json">: `<` is written as \u003c so no
 * `</script>` or `<!--` in a label can end or alter the script element.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * JavaScript source safe inside an inline <script>: the HTML parser would end the element at
 * `</script` and change state at `<!--`. A backslash before `/` or `!` means the same in a
 * JS string or regex, which is where such text occurs in minified bundles.
 */
export function scriptForInline(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/**
 * Page-level policy for every page we generate: nothing may load from anywhere. Scripts and
 * styles are inline; images only from data:/blob: (plotly's own PNG export). A stray URL
 * fails closed instead of reaching the network.
 */
export const OFFLINE_CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; font-src data:";
