import { loadLocalConfig } from "./config.ts";

// The SDK warns that its 2027 releases will need Node 22; local mode runs on Node 20 by design (Lambda runs 22).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const { startLocalStack } = await import("./runtime.ts");

const config = (() => {
  try {
    return loadLocalConfig();
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
})();

const stack = await startLocalStack(config, (line) => console.log(line)).catch((error: unknown) => {
  console.error("Local mode failed to start:", error instanceof Error ? error.message : error);
  process.exit(1);
});

const edgeUrl = `http://localhost:${new URL(stack.edgeUrl).port}`;
console.log(`
Resource approvals is running (local mode, data in ${stack.dataDir})

  Portal and API     ${stack.portalUrl}
  Mailbox            ${stack.mailboxUrl}   (approval emails land here; open one to play the approver)
  Slack (local)      ${stack.slackUrl}   (approvers' Slack messages, with working buttons)
  Teams (local)      ${stack.teamsUrl}   (the cards posted to the Teams channel)
  AWS edge           ${edgeUrl}   (aws --endpoint-url ${edgeUrl} ...)
  Sign-in (OIDC)     ${stack.identityProviderUrl}   (npm run token -- EMAIL prints an access token)
  Local users        ${config.LOCAL_USERS.map((user) => user.email).join(", ")}
  Approvers          ${config.LOCAL_USERS.filter((user) => user.groups.includes("approvers"))
    .map((user) => user.email)
    .join(", ")}   (the group "approvers"; APPROVAL_POLICIES says who decides what)

Press Ctrl-C to stop; data is kept for the next start.
`);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping...`);
  await stack.close();
  console.log("Stopped.");
  process.exit(0);
};
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
