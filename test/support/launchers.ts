import type { Subscription } from "../../services/shared/manifest.ts";
import { recordingMetrics } from "../../services/shared/testing/metrics.ts";
import { silentLogger } from "./fakes.ts";
import { recordingPublisher } from "./recording-publisher.ts";

/** What the tests of the EC2, RDS and S3 launchers share: each takes approvals by resource type. */

/** The subscription of this kind and name among a service's own; throws, naming it, when there is none. */
export const subscriptionNamed = <Kind extends Subscription["kind"]>(
  subscriptions: readonly Subscription[],
  kind: Kind,
  name: string,
): Extract<Subscription, { kind: Kind }> => {
  const found = subscriptions.find((candidate) => candidate.kind === kind && candidate.name === name);
  if (!found) throw new Error(`No ${kind} subscription named ${name}`);
  return found as Extract<Subscription, { kind: Kind }>;
};

/** A `RequestApproved` event as the approvals bus carries it, approving a request for this resource type. */
export const approvalEventOf = (resourceType: string, source = "approvals.decision") => ({
  source,
  "detail-type": "RequestApproved",
  detail: { requestId: "r-1", request: { resource: { type: resourceType } } },
});

/**
 * A launcher handler's dependencies for one test: `shared` (its store, its cloud's gateway, its clock)
 * with a publisher of its own that records what the handler announces, and a silent logger.
 */
export const handlerDepsWith = <Shared extends object>(shared: Shared) => {
  const bus = recordingPublisher();
  return {
    bus,
    deps: { ...shared, publish: bus.publish, logger: silentLogger(), metrics: recordingMetrics() },
  };
};
