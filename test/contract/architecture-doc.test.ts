import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ARCHITECTURE_DOC, architectureEventsTable } from "../../scripts/architecture-doc.ts";
import { eventsTableIn } from "../../scripts/events-table.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const architecturePath = fileURLToPath(ARCHITECTURE_DOC);
const architecture = readFileSync(architecturePath, "utf8");

/** The targets of a Markdown document's relative links, as paths from the repository root. */
const relativeLinksOf = (documentPath: string): string[] =>
  [...readFileSync(documentPath, "utf8").matchAll(/\]\((?<target>[^)\s#]+)[^)]*\)/g)]
    .map((link) => link.groups?.target ?? "")
    .filter((target) => !/^[a-z]+:/.test(target))
    .map((target) => path.relative(repoRoot, path.resolve(path.dirname(documentPath), target)));

describe("docs/ARCHITECTURE.md", () => {
  it("shows the events table the catalog and the subscriptions make today", () => {
    expect(
      eventsTableIn(architecture),
      "docs/ARCHITECTURE.md's events table is out of date: run `npm run docs` and commit the result",
    ).toBe(architectureEventsTable());
  });

  it.each([architecturePath, path.join(repoRoot, "README.md")])(
    "%s links only to files of the repository",
    (documentPath) => {
      const links = relativeLinksOf(documentPath);

      expect(links.length).toBeGreaterThan(0);
      expect(
        links.filter((target) => target.startsWith("..") || !existsSync(path.join(repoRoot, target))),
      ).toEqual([]);
    },
  );
});
