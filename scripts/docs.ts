import { readFile, writeFile } from "node:fs/promises";
import { ARCHITECTURE_DOC, architectureEventsTable } from "./architecture-doc.ts";
import { withEventsTable } from "./events-table.ts";

/** `npm run docs`: rewrites the generated part of docs/ARCHITECTURE.md, and nothing else of it. */
const before = await readFile(ARCHITECTURE_DOC, "utf8");
const after = withEventsTable(before, architectureEventsTable());
if (after === before) {
  console.log("docs/ARCHITECTURE.md is up to date");
} else {
  await writeFile(ARCHITECTURE_DOC, after);
  console.log("docs/ARCHITECTURE.md: events table rewritten");
}
