import { join } from "node:path";
import { App } from "aws-cdk-lib";
import { type DeploymentContext, DeploymentContextError, readDeploymentContext } from "./context.ts";
import { addNagChecks } from "./nag.ts";
import { REPO_ROOT } from "./paths.ts";
import { ApprovalsStack } from "./stack.ts";

const app = new App();

const contextOrExit = (): DeploymentContext => {
  try {
    return readDeploymentContext(app.node);
  } catch (error) {
    // A wrong setting is the operator's to fix: say which, without a stack trace in the way.
    if (!(error instanceof DeploymentContextError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
};

addNagChecks(app);
// One deployment per account and region: the bus has a fixed name outside systems publish to.
new ApprovalsStack(app, "ResourceApprovals", {
  description: "Resource approvals: request, approve and provision AWS resources through events",
  context: contextOrExit(),
  portalDirectory: join(REPO_ROOT, "portal", "dist"),
});
app.synth();
