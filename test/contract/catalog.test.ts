import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fileNameOf } from "../../events/export-json-schema.ts";
import { CATALOG, contractFor, fieldErrorsOf } from "../../events/index.ts";

interface FixtureFile {
  detailType: string;
  valid: unknown[];
  invalid: { detail: unknown; fields: string[] }[];
}

const FIXTURE_DIR = join(import.meta.dirname, "fixtures");
const fixtures: FixtureFile[] = readdirSync(FIXTURE_DIR)
  .filter((file) => file.endsWith(".json"))
  .map((file) => JSON.parse(readFileSync(join(FIXTURE_DIR, file), "utf8")) as FixtureFile);

describe("the event catalog", () => {
  it("has valid and invalid fixtures for every detail-type, and no fixture for an unknown one", () => {
    const covered = fixtures.map((fixture) => fixture.detailType).sort();
    expect(covered).toEqual(CATALOG.map((contract) => contract.detailType).sort());
    for (const fixture of fixtures) {
      expect(fixture.valid.length, fixture.detailType).toBeGreaterThan(0);
      expect(fixture.invalid.length, fixture.detailType).toBeGreaterThan(0);
    }
  });

  it("names each detail-type once, with a source under approvals. or aws.", () => {
    const names = CATALOG.map((contract) => contract.detailType);
    expect(new Set(names).size).toBe(names.length);
    for (const contract of CATALOG)
      expect(contract.source).toMatch(/^(approvals\.[a-z0-9-]+|aws\.(ec2|rds|ses))$/);
  });
});

describe.each(fixtures)("$detailType fixtures", ({ detailType, valid, invalid }) => {
  const contract = contractFor(detailType);

  it.each(valid.map((detail, index) => ({ index, detail })))("accepts valid example $index", ({ detail }) => {
    const result = contract?.schema.safeParse(detail);
    expect(result?.error?.issues ?? []).toEqual([]);
  });

  it.each(invalid.map((example, index) => ({ index, ...example })))(
    "refuses invalid example $index, naming $fields",
    ({ detail, fields }) => {
      const result = contract?.schema.safeParse(detail);
      expect(result?.success).toBe(false);
      const named = result?.error ? fieldErrorsOf(result.error).map((error) => error.field) : [];
      for (const field of fields) expect(named).toContain(field);
    },
  );
});

describe("npm run events:schema", () => {
  it("writes one JSON Schema per event, each describing the detail's required fields", async () => {
    const directory = await mkdtemp(join(tmpdir(), "schemas-"));
    execFileSync(process.execPath, ["--import", "tsx", "events/export-json-schema.ts", directory], {
      cwd: join(import.meta.dirname, "..", ".."),
    });
    const files = await readdir(directory);
    expect(files.sort()).toEqual(CATALOG.map(fileNameOf).sort());
    const requested = JSON.parse(await readFile(join(directory, "ResourceRequested.schema.json"), "utf8"));
    expect(requested.title).toBe("ResourceRequested");
    expect(requested.required).toEqual(["requester", "resource", "justification"]);
    expect(requested.additionalProperties).toBe(false);
    expect(JSON.stringify(requested.properties.requester.properties.email)).toContain("@");
    expect(requested.properties.justification.maxLength).toBe(2000);
  });
});
