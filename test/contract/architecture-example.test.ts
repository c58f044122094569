import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ResourceRequested } from "../../events/resource-requested.ts";

const architecture = readFileSync(new URL("../../docs/ARCHITECTURE.md", import.meta.url), "utf8");

/** The JSON block that follows the `ResourceRequested` detail's heading in docs/ARCHITECTURE.md. */
const publishedExample = (): Record<string, unknown> => {
  const block = /\*\*`ResourceRequested` detail\*\*[^\n]*\n```json\n(?<json>[\s\S]*?)\n```/.exec(
    architecture,
  );
  if (!block?.groups?.json)
    throw new Error("docs/ARCHITECTURE.md no longer shows a ResourceRequested example");
  return JSON.parse(block.groups.json) as Record<string, unknown>;
};

describe("the ResourceRequested example published in docs/ARCHITECTURE.md", () => {
  it("is accepted as written, once its requestId (a description of the field, not a value) is left out", () => {
    const { requestId, ...detail } = publishedExample();
    expect(requestId).toMatch(/^optional idempotency key/);

    const result = ResourceRequested.schema.safeParse(detail);

    expect(result.error?.issues ?? []).toEqual([]);
  });
});
