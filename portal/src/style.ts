/** Portal-only additions to the shared theme: navigation, tables, the pager. */
export const PORTAL_CSS = `
header.site nav { display: flex; gap: 1rem; flex-wrap: wrap; }
header.site nav a[aria-current="page"] { text-decoration-thickness: 3px; }
.skip-link { position: absolute; left: -999px; }
.skip-link:focus { left: 1rem; top: 1rem; background: #fff; color: var(--ink); padding: 0.5rem; z-index: 1; }
.field { margin-bottom: 0.5rem; }
.hint { margin: 0.25rem 0 0; font-size: 0.9rem; }
button.secondary { background: #fff; color: var(--brand); border: 1px solid var(--brand); }
button:disabled { opacity: 0.6; cursor: not-allowed; }
.table-wrap { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; background: var(--card); }
th, td { text-align: left; padding: 0.5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
.filters { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap: 0 1rem; align-items: end; }
.pager { display: flex; gap: 0.5rem; align-items: center; margin: 1rem 0; }
ol.timeline { padding-left: 1.25rem; }
ol.timeline li { margin: 0.25rem 0; }
`;
