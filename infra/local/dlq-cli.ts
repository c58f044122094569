import { loadDeadLetterCliConfig } from "./config.ts";
import { existingServicesPrincipal } from "./edge/principals.ts";
import { runDeadLetterCommand } from "./eventbridge/dead-letters.ts";

/**
 * `npm run dlq -- list` and `npm run dlq -- redrive [ID...]`, against the running local runtime. Dead
 * letters are the operator's, so it signs with the stack's own credentials from its DATA_DIR.
 */
try {
  const { EDGE_URL, DATA_DIR } = loadDeadLetterCliConfig();
  const operator = await existingServicesPrincipal(DATA_DIR);
  console.log(await runDeadLetterCommand(process.argv.slice(2), { edgeUrl: EDGE_URL, operator }));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
