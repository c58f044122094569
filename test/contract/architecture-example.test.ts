import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ResourceRequested } from "../../events/resource-requested.ts";

const repoRoot = path.resolve(import.meta.dirname, "..", "..");
const architecture = readFileSync(path.resolve(repoRoot, "..", "shared", "ARCHITECTURE.md"), "utf8");

/** The JSON block that follows the `ResourceRequested` detail's heading in ARCHITECTURE.md. */
const publishedExample = (): Record<string, unknown> => {
  const block = /\*\*`ResourceRequested` detail\*\*[^\n]*\n```json\n(?<json>[\s\S]*?)\n```/.exec(
    architecture,
  );
  if (!block?.groups?.json) throw new Error("ARCHITECTURE.md no longer shows a ResourceRequested example");
  return JSON.parse(block.groups.json) as Record<string, unknown>;
};

describe("the ResourceRequested example published in ARCHITECTURE.md", () => {
  it("is accepted as written, once its requestId (a description of the field, not a value) is left out", () => {
    const { requestId, ...detail } = publishedExample();
    expect(requestId).toMatch(/^optional idempotency key/);

    const result = ResourceRequested.schema.safeParse(detail);

    expect(result.error?.issues ?? []).toEqual([]);
  });
});
