/**
 * The look shared by the portal, the decision pages and the emails, kept in one place so they match.
 * Colours meet WCAG AA contrast against their backgrounds.
 */
export const THEME_CSS = `
:root { --ink: #1f2933; --muted: #52606d; --line: #cbd2d9; --bg: #f5f7fa; --card: #ffffff;
  --brand: #1d4ed8; --brand-ink: #ffffff; --ok: #166534; --ok-bg: #dcfce7; --bad: #991b1b; --bad-bg: #fee2e2;
  --warn: #854d0e; --warn-bg: #fef9c3; --info: #1e3a8a; --info-bg: #dbeafe; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
header.site { background: var(--ink); color: #fff; padding: 0.75rem 1rem; display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
header.site a { color: #fff; }
main { max-width: 52rem; margin: 0 auto; padding: 1rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.25rem; margin: 1rem 0; }
h1 { font-size: 1.5rem; margin: 0.5rem 0 1rem; overflow-wrap: anywhere; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; margin: 0; }
dl.summary dt { color: var(--muted); }
dl.summary dd { margin: 0; overflow-wrap: anywhere; white-space: pre-wrap; }
label { display: block; font-weight: 600; margin: 0.75rem 0 0.25rem; }
input, select, textarea { width: 100%; font: inherit; padding: 0.5rem; border: 1px solid var(--muted); border-radius: 6px; background: #fff; color: var(--ink); }
textarea { min-height: 6rem; }
button, .button { display: inline-block; font: inherit; font-weight: 600; padding: 0.6rem 1.2rem; border-radius: 6px; border: 0; cursor: pointer; text-decoration: none; background: var(--brand); color: var(--brand-ink); }
button.reject, .button.reject { background: var(--bad); }
button:focus-visible, a:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
.badge { display: inline-block; padding: 0.1rem 0.6rem; border-radius: 999px; font-size: 0.875rem; font-weight: 600; background: var(--info-bg); color: var(--info); }
.badge.ok { background: var(--ok-bg); color: var(--ok); }
.badge.bad { background: var(--bad-bg); color: var(--bad); }
.badge.warn { background: var(--warn-bg); color: var(--warn); }
.error { color: var(--bad); font-size: 0.9rem; margin: 0.25rem 0 0; }
.muted { color: var(--muted); }
@media (max-width: 600px) { dl.summary { grid-template-columns: 1fr; } main { padding: 0.5rem; } button, .button { width: 100%; text-align: center; } }
`;
