import { readFileSync } from "node:fs";

/** One case of the AWS-validated corpus (data/README.md says where it comes from). */
export interface ConformanceCase {
  name: string;
  expect: "match" | "no-match" | "invalid";
  pattern: unknown;
  event: Record<string, unknown>;
}

/** The corpus kept in the repository, so the conformance tier needs nothing beside the clone. */
export const conformanceCases: ConformanceCase[] = (
  JSON.parse(readFileSync(new URL("data/eventbridge-patterns.json", import.meta.url), "utf8")) as {
    cases: ConformanceCase[];
  }
).cases;
