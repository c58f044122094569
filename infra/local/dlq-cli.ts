import { loadDeadLetterCliConfig } from "./config.ts";
import { runDeadLetterCommand } from "./eventbridge/dead-letters.ts";

/** `npm run dlq -- list` and `npm run dlq -- redrive [ID...]`, against the running local runtime. */
try {
  const { EDGE_URL } = loadDeadLetterCliConfig();
  console.log(await runDeadLetterCommand(process.argv.slice(2), EDGE_URL));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
