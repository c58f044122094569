import { runDeadLetterCommand } from "./eventbridge/dead-letters.ts";

/** `npm run dlq -- list` and `npm run dlq -- redrive [ID...]`, against the running local runtime. */
try {
  console.log(
    await runDeadLetterCommand(process.argv.slice(2), process.env.EDGE_URL ?? "http://localhost:4566"),
  );
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
