import type { WidgetSettings } from './wire.ts';

/**
 * Colours from the widget's settings, made safe to use: only `#rrggbb` values are accepted
 * (they end up in CSS text, so nothing else may get through), and text colours are corrected
 * until they reach a contrast of 4.5:1 (WCAG AA) against what they are drawn on.
 */

export type Theme = { primary: string; onPrimary: string; bg: string; fg: string; tint: string };

/** The same defaults as packages/api/src/widgets/settings.ts (WIDGET_DEFAULTS.theme). */
export const DEFAULT_COLOURS = {
  primaryColor: '#2563eb',
  backgroundColor: '#ffffff',
  textColor: '#111827',
};

const HEX = /^#[0-9a-f]{6}$/i;
const DARK = '#111827';
const LIGHT = '#ffffff';

const channels = (hex: string) => [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));

/** WCAG relative luminance. */
function luminance(hex: string): number {
  const [r = 0, g = 0, b = 0] = channels(hex).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio, 1 to 21. */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** Dark or light text, whichever reads better on `bg`. */
export const readableOn = (bg: string) =>
  contrast(DARK, bg) >= contrast(LIGHT, bg) ? DARK : LIGHT;

/** `amount` of `a` mixed into `b`. */
function mix(a: string, b: string, amount: number): string {
  const [x, y] = [channels(a), channels(b)];
  return `#${x
    .map((c, i) =>
      Math.round(c * amount + (y[i] ?? 0) * (1 - amount))
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

export function resolveTheme(colours: WidgetSettings['theme'] = {}): Theme {
  const pick = (value: string | undefined, fallback: string) =>
    value && HEX.test(value) ? value.toLowerCase() : fallback;
  const primary = pick(colours.primaryColor, DEFAULT_COLOURS.primaryColor);
  const bg = pick(colours.backgroundColor, DEFAULT_COLOURS.backgroundColor);
  let fg = pick(colours.textColor, DEFAULT_COLOURS.textColor);
  if (contrast(fg, bg) < 4.5) fg = readableOn(bg);
  // Assistant bubbles: a faint tint of the text colour, unless that costs the text its contrast.
  const tinted = mix(fg, bg, 0.07);
  const tint = contrast(fg, tinted) >= 4.5 ? tinted : bg;
  return { primary, onPrimary: readableOn(primary), bg, fg, tint };
}

/** The theme as custom properties on the shadow host; every value was checked against HEX. */
export const themeCss = (t: Theme) =>
  `:host{--p:${t.primary};--op:${t.onPrimary};--bg:${t.bg};--fg:${t.fg};--tint:${t.tint}}`;
