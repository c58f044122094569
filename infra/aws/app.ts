import { join } from "node:path";
import { App } from "aws-cdk-lib";
import { services } from "../../services/registry.ts";
import {
  type DeploymentContext,
  DeploymentContextError,
  readDeploymentContext,
  stackNameOf,
  tagDeployment,
} from "./context.ts";
import {
  addRegionForwarding,
  defaultBusSubscriptionsOf,
  type ForwardingPlan,
  forwardingPlanOf,
} from "./forwarding.ts";
import { addNagChecks } from "./nag.ts";
import { REPO_ROOT } from "./paths.ts";
import { ApprovalsStack } from "./stack.ts";

const app = new App();

/** What the CDK CLI resolved from the profile or environment it runs with; unset without one. */
const account = process.env.CDK_DEFAULT_ACCOUNT;
const homeRegion = process.env.CDK_DEFAULT_REGION;

/** A wrong setting is the operator's to fix: say which, without a stack trace in the way. */
const orExit = <T>(read: () => T): T => {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof DeploymentContextError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
};

const context: DeploymentContext = orExit(() => readDeploymentContext(app.node));
const forwarding: ForwardingPlan | undefined = orExit(() =>
  forwardingPlanOf(context.allowedRegions, homeRegion),
);

const stackName = stackNameOf(context);

addNagChecks(app);
tagDeployment(app, context);
// One deployment per stage, account and region: the stage starts every fixed name (the bus's, which
// outside systems publish to, too). Pinned to the CLI's region when known, so the other regions'
// forwarding targets the region it is deployed to.
orExit(
  () =>
    new ApprovalsStack(app, stackName, {
      description: "Resource approvals: request, approve and provision AWS resources through events",
      env: homeRegion ? { account, region: homeRegion } : undefined,
      context,
      portalDirectory: join(REPO_ROOT, "portal", "dist"),
    }),
);
if (forwarding) addRegionForwarding(app, stackName, forwarding, defaultBusSubscriptionsOf(services), account);
app.synth();
