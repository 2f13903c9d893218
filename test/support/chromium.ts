/**
 * Headless Chromium for the page tests: Debian's browser driven by playwright-core (the
 * package's own browser download cannot reach its host here), one launch helper, a folder for
 * each suite's screenshots, and the checks every page must pass as a person meets it:
 * - axe-core on WCAG 2.1 A and AA;
 * - no visible text that looks like an internal code: snake_case or kebab-case identifiers, ISO
 *   dates and timestamps, UUIDs, or a stored enum value (read from the migrations' CHECK lists)
 *   standing alone where a label belongs;
 * - no heading (or fieldset legend) drawn over a field label;
 * - nothing wider than the screen.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

// The page-side functions below run in Chromium; these are the few browser names they use (the
// project compiles with Node's types, not the DOM's).
interface DomRect {
  left: number;
  right: number;
  top: number;
  bottom: number;
  width: number;
  height: number;
}
interface DomElement {
  tagName: string;
  innerText: string;
  getBoundingClientRect(): DomRect;
  contains(other: DomElement): boolean;
  closest(selector: string): DomElement | null;
}
declare const document: { body: DomElement; documentElement: { scrollWidth: number }; querySelectorAll(selector: string): Iterable<DomElement> };
declare const window: { innerWidth: number };
declare function getComputedStyle(el: DomElement): { visibility: string; display: string };

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** `test-artifacts/<name>/`, created: where a suite leaves its screenshots (CI keeps the folder). */
export function artifactsDir(name: string): string {
  const dir = path.resolve('test-artifacts', name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

// ---------------------------------------------------------------------------------------------
// axe-core

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeFinding {
  rule: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/** WCAG 2.1 A and AA violations of the page as it is now. */
export async function axeViolations(page: Page): Promise<AxeFinding[]> {
  await page.addScriptTag({ content: axeSource });
  return page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({ rule: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
}

// ---------------------------------------------------------------------------------------------
// Internal codes

/**
 * Every value the schema stores from a fixed list (`CHECK (x IN ('a', 'b'))`): shown alone in a
 * cell, a badge or a definition, it is a code where a label belongs. The few that are also the
 * word a person reads (the names of the identity systems, "online", "fax") are left out.
 */
function storedEnumValues(): Set<string> {
  const dir = path.resolve('migrations');
  const values = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.sql'))) {
    const sql = readFileSync(path.join(dir, file), 'utf8');
    for (const list of sql.matchAll(/CHECK\s*\(\s*\w+\s+IN\s*\(([^)]*)\)/gi)) {
      for (const v of list[1]!.matchAll(/'([^']+)'/g)) values.add(v[1]!);
    }
  }
  for (const word of ['online', 'fax', 'SPID', 'CIE', 'CNS']) values.delete(word);
  return values;
}
const ENUM_VALUES = storedEnumValues();

/** Hyphenated words people write; any other lower-case hyphenated run reads as a code. */
const HYPHENATED_WORDS = new Set(['e-mail', 'back-office', 'check-in', 'non-eu', 'extra-ue', 'health-insurance', 'social-security', 'sign-in', 'call-backs', 'call-back']);

/**
 * Words that belong to one language only: met on a page in the other, they are a sentence left
 * untranslated. Proper names (codice fiscale, Sede INPS di …) use none of them.
 */
const FOREIGN_WORDS: Record<'it' | 'en', RegExp> = {
  it: /\b(?:the|and|your|you|with|please|this|from|which)\b/gi,
  en: /\b(?:della|delle|degli|dello|sono|questo|questa|anche|oppure|tuoi|tue|puoi|deve|devi)\b/gi,
};

const PATTERNS: { kind: string; re: RegExp }[] = [
  { kind: 'ISO timestamp', re: /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/g },
  { kind: 'ISO date', re: /\b\d{4}-\d{2}-\d{2}\b/g },
  { kind: 'UUID', re: /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi },
  { kind: 'snake_case', re: /\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/g },
  { kind: 'kebab-case', re: /(?<![\w.@/-])[a-z][a-z0-9]*(?:-[a-z0-9]+)+(?![\w@/-])/g },
];

export interface CodeFinding {
  kind: string;
  text: string;
}

/**
 * Visible text of the page that looks like an internal code, or a word of the other language.
 * `allow`: values the test itself made up that are rightly shown (a staff username).
 */
export async function internalCodes(page: Page, lang: 'it' | 'en', allow: readonly string[] = []): Promise<CodeFinding[]> {
  const { text, leaves } = await page.evaluate(() => {
    const visible = (el: DomElement): boolean => {
      const r = el.getBoundingClientRect();
      const s = getComputedStyle(el);
      return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
    };
    const leafTexts = [...document.querySelectorAll('td, th, dd, li, .badge, span, strong, p, option')]
      .filter((el) => visible(el) || el.tagName === 'OPTION')
      .map((el) => el.innerText?.trim() ?? '')
      .filter((t) => t.length > 0 && t.length < 60);
    return { text: document.body.innerText, leaves: leafTexts };
  });
  // Addresses and links are what they are: e-mail addresses, URLs and file names are not codes.
  const prose = allow.reduce((t, a) => t.split(a).join(' '), text).replace(/\S+@\S+/g, ' ').replace(/\bhttps?:\/\/\S+/g, ' ').replace(/\b[\w.-]+\.(?:pdf|csv|png|jpe?g)\b/gi, ' ');
  const found = new Map<string, CodeFinding>();
  for (const { kind, re } of PATTERNS) {
    for (const m of prose.matchAll(re)) {
      const t = m[0];
      if (kind === 'kebab-case' && HYPHENATED_WORDS.has(t.toLowerCase())) continue;
      if (kind === 'ISO date' && /\d{4}-\d{2}-\d{2}T/.test(prose.slice(m.index!, m.index! + 11))) continue;
      found.set(`${kind}:${t}`, { kind, text: t });
    }
  }
  for (const m of prose.matchAll(FOREIGN_WORDS[lang])) found.set(`lang:${m[0].toLowerCase()}`, { kind: `${lang === 'it' ? 'English' : 'Italian'} word`, text: prose.slice(Math.max(0, m.index! - 30), m.index! + 30).replace(/\s+/g, ' ') });
  // On an English page most stored values are the English word a label would use ("active"):
  // there only the ones a snake_case or kebab-case pattern catches are codes.
  if (lang === 'it') {
    for (const leaf of leaves) {
      for (const part of leaf.split(/\s*[,—–]\s*/)) if (ENUM_VALUES.has(part)) found.set(`enum:${part}`, { kind: 'stored value', text: leaf });
    }
  }
  return [...found.values()];
}

// ---------------------------------------------------------------------------------------------
// Layout

export interface OverlapFinding {
  heading: string;
  label: string;
}

/** Headings and legends whose box covers part of a visible field label. */
export async function headingOverLabel(page: Page): Promise<OverlapFinding[]> {
  return page.evaluate(() => {
    const box = (el: DomElement) => {
      const r = el.getBoundingClientRect();
      const s = getComputedStyle(el);
      return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none' && !el.closest('.visually-hidden') ? r : undefined;
    };
    const headings = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6, legend')].map((el) => ({ el, r: box(el) })).filter((h) => h.r);
    const labels = [...document.querySelectorAll('label')].map((el) => ({ el, r: box(el) })).filter((l) => l.r);
    const out: { heading: string; label: string }[] = [];
    for (const h of headings) {
      for (const l of labels) {
        if (h.el.contains(l.el) || l.el.contains(h.el)) continue;
        const w = Math.min(h.r!.right, l.r!.right) - Math.max(h.r!.left, l.r!.left);
        const ht = Math.min(h.r!.bottom, l.r!.bottom) - Math.max(h.r!.top, l.r!.top);
        if (w > 1 && ht > 1) out.push({ heading: h.el.innerText.trim().slice(0, 60), label: l.el.innerText.trim().slice(0, 60) });
      }
    }
    return out;
  });
}

/** How much wider than the viewport the page is (0 when it fits). */
export async function overflowPx(page: Page): Promise<number> {
  return page.evaluate(() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth));
}
