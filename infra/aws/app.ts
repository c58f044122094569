import { join } from "node:path";
import { App } from "aws-cdk-lib";
import { readDeploymentContext } from "./context.ts";
import { addNagChecks } from "./nag.ts";
import { REPO_ROOT } from "./paths.ts";
import { ApprovalsStack } from "./stack.ts";

const app = new App();
addNagChecks(app);
// One deployment per account and region: the bus has a fixed name outside systems publish to.
new ApprovalsStack(app, "ResourceApprovals", {
  description: "Resource approvals: request, approve and provision AWS resources through events",
  context: readDeploymentContext(app.node),
  portalDirectory: join(REPO_ROOT, "portal", "dist"),
});
app.synth();
