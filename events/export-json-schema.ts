import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { z } from "zod";
import { CATALOG, type EventContract } from "./index.ts";

/** The JSON Schema of one event's detail, with where it travels, for outside publishers and docs. */
export const jsonSchemaOf = (contract: EventContract) => ({
  $schema: "https://json-schema.org/draft/2020-12/schema",
  title: contract.detailType,
  description: `${contract.description} Source: ${contract.source}; detail-type: ${contract.detailType}.`,
  ...z.toJSONSchema(contract.schema, { io: "input", unrepresentable: "any" }),
});

export const fileNameOf = (contract: EventContract) =>
  `${contract.detailType.replaceAll(/[^A-Za-z0-9]+/g, "-")}.schema.json`;

const writeSchemas = async (directory: string) => {
  await mkdir(directory, { recursive: true });
  for (const contract of CATALOG) {
    await writeFile(
      join(directory, fileNameOf(contract)),
      `${JSON.stringify(jsonSchemaOf(contract), null, 2)}\n`,
    );
  }
  return CATALOG.length;
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const directory = resolve(process.argv[2] ?? join(import.meta.dirname, "schemas"));
  const count = await writeSchemas(directory);
  console.log(`Wrote ${count} JSON Schemas to ${directory}`);
}
