/**
 * HTML output for the portal. Every page is built with the `html` tagged template, which
 * escapes every interpolated value unless it is already `SafeHtml` (the result of another
 * `html` template). `escapeHtml` is the one escape function; nothing else writes markup from
 * data, so a value typed by a citizen (a surname like `<script>`) can only ever appear as text.
 *
 * Interpolations are only ever placed in element content or in double-quoted attribute values,
 * where escaping `& < > " '` is sufficient; URLs are always built by the portal itself.
 */

/** Markup that is safe to emit as it is. Only `html` and `joinHtml` create it. */
export class SafeHtml {
  constructor(readonly value: string) {}

  toString(): string {
    return this.value;
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** What may be interpolated: text is escaped; `false`, `null` and `undefined` render nothing. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map((v: HtmlValue) => render(v)).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/** Tagged template: literal parts are trusted markup, interpolations are escaped. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}
