import { createHash } from "node:crypto";
import { html, SafeHtml } from "./html.ts";
import { THEME_CSS } from "./theme.ts";

/** A themed page's only style is the theme, inline; its CSP allows exactly that, by hash. */
export const THEME_STYLE_HASH = `'sha256-${createHash("sha256").update(THEME_CSS).digest("base64")}'`;

/**
 * A whole HTML document in the shared look: the decision pages and every email use it. The theme goes
 * in inline and unescaped (it is our constant, and entities mean nothing inside <style>); the plain
 * structure stays readable where a mail client drops <style>.
 */
export const themedDocument = (title: string, body: SafeHtml): SafeHtml => html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Resource approvals</title>
<style>${new SafeHtml(THEME_CSS)}</style>
</head>
<body>
<header class="site"><strong>Resource approvals</strong></header>
<main>
${body}
</main>
</body>
</html>`;

/** One label/value pair of a summary (a request, an outcome), escaped when rendered as HTML. */
export interface SummaryRow {
  label: string;
  value: string;
}

export const renderSummary = (rows: readonly SummaryRow[]): SafeHtml =>
  html`<dl class="summary">${rows.map((row) => html`<dt>${row.label}</dt><dd>${row.value}</dd>`)}</dl>`;

/** One row a line; continuation lines are indented so a multi-line value still reads as one row. */
export const summaryAsText = (rows: readonly SummaryRow[]): string =>
  rows.map((row) => `${row.label}: ${row.value.replaceAll("\n", "\n  ")}`).join("\n");
