import { type Theme, themeCss } from './theme.ts';

/**
 * The widget's CSS, applied only through constructable stylesheets (adoptedStyleSheets), which
 * a strict CSP without 'unsafe-inline' allows, unlike <style> elements or style attributes.
 * Layout inside the panel uses logical properties so Arabic (rtl) mirrors by itself. The
 * launcher's corner is physical on purpose: the setting says bottom-right or bottom-left.
 */
const CSS = `
:host{all:initial}
*{box-sizing:border-box}
[hidden]{display:none!important}
.w{position:fixed;bottom:20px;z-index:2147483000;display:flex;flex-direction:column;align-items:flex-end;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg)}
.w.r{right:20px}.w.l{left:20px;align-items:flex-start}.w.in{position:static}
button{font:inherit;color:inherit;cursor:pointer}
:focus-visible{outline:3px solid var(--fg);outline-offset:2px}
header :focus-visible,.u :focus-visible{outline-color:var(--op)}
.launch{width:56px;height:56px;border-radius:50%;border:0;background:var(--p);color:var(--op);box-shadow:0 4px 14px #0003;display:grid;place-items:center}
svg{width:26px;height:26px;fill:currentColor}.th svg{width:16px;height:16px}
.panel{display:flex;flex-direction:column;width:min(380px,calc(100vw - 40px));height:min(600px,calc(100vh - 110px));margin-block-end:12px;background:var(--bg);color:var(--fg);border-radius:12px;box-shadow:0 8px 30px #0004;overflow:hidden}
header{display:flex;align-items:center;gap:8px;padding:12px 16px;background:var(--p);color:var(--op)}
header div{flex:1;min-width:0}
h2{margin:0;font-size:16px}
header p{margin:0;font-size:12px}
.x{background:none;border:0;font-size:22px;line-height:1;padding:4px 8px;border-radius:6px}
.msgs{flex:1;overflow-y:auto;padding:12px 16px;display:flex;flex-direction:column;gap:10px}
.m{max-width:85%;display:flex;flex-direction:column;align-items:flex-start;gap:4px}
.m.u{align-self:flex-end;align-items:flex-end}
.m.s{align-self:center;max-width:100%;font-size:12px;text-align:center}
.who,.st{font-size:12px}
.who{font-weight:600}
.b{padding:8px 12px;border-radius:12px;background:var(--tint);overflow-wrap:anywhere;max-width:100%}
.u .b{background:var(--p);color:var(--op);white-space:pre-wrap}
.s .b{background:none;padding:0}
.b p,.b ul,.b ol,.b pre{margin:0 0 6px}
.b>:last-child{margin-block-end:0}
.b ul,.b ol{padding-inline-start:20px}
.b code{font:13px ui-monospace,Menlo,Consolas,monospace}
.b pre{overflow-x:auto;padding:8px;background:var(--bg);border-radius:6px}
.b a{color:inherit}
sup button{border:0;background:none;padding:0 1px;font-size:11px;text-decoration:underline}
.st{display:flex;gap:6px;align-items:center}
.st button,.bar button,.act button{background:none;border:1px solid currentColor;border-radius:999px;padding:1px 10px}
details{font-size:13px}
details ol{margin:4px 0;padding-inline-start:20px}
details p{margin:2px 0 6px}
.bar{padding:6px 16px;font-size:13px;display:flex;gap:8px;align-items:center}
.bar span{flex:1}
.off{background:#fffbeb;color:#92400e}
.err{background:#fef2f2;color:#991b1b}
[aria-pressed=true]{background:var(--p);color:var(--op);border-color:var(--p)}
.act{padding:4px 16px}
form{display:flex;gap:8px;padding:8px 12px 12px;align-items:flex-end}
textarea{flex:1;resize:none;height:42px;max-height:120px;padding:10px;border:1px solid var(--fg);border-radius:8px;font:inherit;color:var(--fg);background:var(--bg)}
textarea[aria-invalid=true]{border:2px solid #b91c1c}
.send{background:var(--p);color:var(--op);border:0;border-radius:8px;padding:10px 14px}
.hint{margin:0 16px;font-size:12px;color:#991b1b;background:#fef2f2}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
@media (prefers-reduced-motion:no-preference){.panel{animation:pop .15s ease-out}}
@keyframes pop{from{opacity:0;transform:translateY(8px)}}
`;

const sheet = (css: string) => {
  const s = new CSSStyleSheet();
  s.replaceSync(css);
  return s;
};

/** The stylesheets for a shadow root: the fixed CSS, then the theme's custom properties. */
export function stylesheets(theme: Theme): { base: CSSStyleSheet; theme: CSSStyleSheet } {
  return { base: sheet(CSS), theme: sheet(themeCss(theme)) };
}

/** Swaps in a new theme (settings arrived with the session). */
export function retheme(s: CSSStyleSheet, theme: Theme) {
  s.replaceSync(themeCss(theme));
}
