import { THEME_CSS } from "../../services/shared/theme.ts";

/** Portal-only additions to the shared theme: navigation, tables, the pager. */
export const PORTAL_CSS = `
header.site nav { display: flex; gap: 1rem; flex-wrap: wrap; }
header.site nav a[aria-current="page"] { text-decoration-thickness: 3px; }
header.site .account { margin-left: auto; display: flex; gap: 0.75rem; align-items: center; flex-wrap: wrap; }
header.site .account[hidden] { display: none; }
header.site .account p { margin: 0; }
header.site .account button { padding: 0.3rem 0.8rem; width: auto; }
#account-email { opacity: 0.8; }
.skip-link { position: absolute; left: -999px; }
.skip-link:focus { left: 1rem; top: 1rem; background: #fff; color: var(--ink); padding: 0.5rem; z-index: 1; }
.field { margin-bottom: 0.5rem; }
.hint { margin: 0.25rem 0 0; font-size: 0.9rem; }
/* A checkbox keeps its own size at the start of its row, not the full width text inputs take. */
.estimate-panel { border-top: 1px solid var(--line); margin-top: 1rem; padding-top: 0.5rem; }
.estimate-panel h2 { font-size: 1.1rem; margin: 0 0 0.25rem; }
.field input[type="checkbox"] { display: block; width: auto; margin: 0.25rem 0 0; }
button.secondary { background: #fff; color: var(--brand); border: 1px solid var(--brand); }
button:disabled { opacity: 0.6; cursor: not-allowed; }
.table-wrap { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; background: var(--card); }
th, td { text-align: left; padding: 0.5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
.filters { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap: 0 1rem; align-items: end; }
.filters > p { grid-column: 1 / -1; display: flex; flex-wrap: wrap; gap: 0.5rem; margin: 1rem 0 0.25rem; }
.badge, td[data-label="Submitted"], td[data-label="Region"] { white-space: nowrap; }
/* Lists need the room of their eight columns. */
main:has(.filters) { max-width: 72rem; }
.pager { display: flex; gap: 0.5rem; align-items: center; margin: 1rem 0; }
.pager span { white-space: nowrap; }
ol.timeline { padding-left: 1.25rem; }
ol.timeline li { margin: 0.25rem 0; }
ol.stages { padding-left: 0; list-style: none; }
ol.stages > li { border-top: 1px solid var(--line); padding-top: 0.5rem; margin-top: 0.5rem; }
ol.stages h3 { font-size: 1rem; margin: 0 0 0.5rem; }
.waiting-for { font-size: 1.05rem; }
ul.extensions { padding-left: 1.25rem; }
.cost-so-far { font-weight: 600; }
dialog.lease-dialog { max-width: 36rem; width: calc(100% - 2rem); }
dialog.lease-dialog::backdrop { background: rgb(0 0 0 / 40%); }
.lease-actions .actions, .lease-dialog .actions { display: flex; gap: 0.5rem; flex-wrap: wrap; }
.card > h2:first-child { font-size: 1.15rem; margin: 0 0 0.75rem; }
/* The dashboard: each chart beside its table, the table below it where there is no room. */
main:has(.dashboard) { max-width: 72rem; }
.chart-pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 1rem; align-items: start; }
.chart-box { position: relative; height: 16rem; min-width: 0; }
.chart-pair caption { text-align: left; color: var(--muted); padding-bottom: 0.25rem; }
@media (max-width: 600px) {
  .pager button { width: auto; flex: 1; padding-inline: 0.5rem; }
  /* A table does not fit a phone: each row becomes a card whose cells name their column. */
  .table-wrap table, .table-wrap tbody, .table-wrap tr, .table-wrap td { display: block; }
  .table-wrap table { background: none; }
  .table-wrap thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  .table-wrap tr { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 0.5rem 0.75rem; margin-bottom: 0.75rem; }
  .table-wrap td { display: grid; grid-template-columns: 6.5rem 1fr; gap: 0.5rem; justify-items: start; border: 0; padding: 0.2rem 0; overflow-wrap: anywhere; }
  .table-wrap td::before { content: attr(data-label); color: var(--muted); }
}
`;

/**
 * Everything the portal styles with, in the one <style> element main.ts adds: the deployment's CSP
 * (infra/aws/constructs/portal.ts) allows exactly this text by its hash.
 */
export const PORTAL_STYLESHEET = THEME_CSS + PORTAL_CSS;
