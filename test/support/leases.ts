import { fileURLToPath } from "node:url";
import { DescribeInstancesCommand, type Instance } from "@aws-sdk/client-ec2";
import type { DetailOf, EventContract } from "../../events/contract.ts";
import { EXPIRES_AT_TAG } from "../../events/lease.ts";
import { LeaseStarted } from "../../events/lease-events.ts";
import { getRequest, linksIn, type RequestView } from "./flow.ts";
import type { MailboxEmail, StackUnderTest } from "./stack.ts";

/**
 * Leases on a running stack, in seconds instead of days: a lease of 20 s unless the request asks for
 * another (at least 1 s, at most 10 min), reminders 10 s and 5 s before the end, and the reaper's checks
 * 1, 2 and 4 s after each release.
 */
export const SECOND_SCALE_LEASES = {
  LEASE_MIN: "PT1S",
  LEASE_DEFAULT: "PT20S",
  LEASE_MAX: "PT10M",
  LEASE_REMINDERS: "PT10S,PT5S",
  RELEASE_CHECK_DELAYS: "PT1S,PT2S,PT4S",
};

/** The default lease of SECOND_SCALE_LEASES, in milliseconds. */
export const DEFAULT_LEASE_MS = 20_000;

/**
 * test/fixtures/policies/leases.json: the approver decides every request; a justification starting
 * with "stop:" stops the instance at the end instead of terminating it; every other lease runs at most
 * 2 minutes, extended without asking within 1 minute and by the approver beyond.
 */
export const LEASES_POLICY_FILE = fileURLToPath(new URL("../fixtures/policies/leases.json", import.meta.url));
export const LEASES_POLICY = "policy:leases";
export const STOPPED_AT_END_PREFIX = "stop:";

/** What the ec2-launcher logs (at INFO) each time it terminates or stops an instance for a release. */
export const RELEASE_ACTED = "Instance released; first check scheduled";

/** How long a lease's end may take to become a confirmed release: the timer, the action, the reaper's checks. */
export const RELEASE_WITHIN_MS = 40_000;

/** The details of the request's audited events of one type, oldest first, as their contract reads them. */
export const detailsOn = <C extends EventContract>(
  view: RequestView | undefined,
  contract: C,
): DetailOf<C>[] =>
  (view?.timeline ?? [])
    .filter((entry) => entry.type === contract.detailType)
    .map((entry) => contract.schema.parse(entry.detail) as DetailOf<C>);

/** Waits until the request's timeline holds `count` events of the contract's type; resolves to the view then. */
export const waitForEvents = (
  stack: StackUnderTest,
  requestId: string,
  contract: EventContract,
  count = 1,
  timeoutMs?: number,
) =>
  stack.eventually(
    () => getRequest(stack, requestId),
    (view) => detailsOn(view, contract).length >= count,
    timeoutMs,
  ) as Promise<RequestView>;

/** The lease as it started once the request's resource was provisioned. */
export const leaseStartedOf = async (stack: StackUnderTest, requestId: string, timeoutMs?: number) => {
  const [started] = detailsOn(
    await waitForEvents(stack, requestId, LeaseStarted, 1, timeoutMs),
    LeaseStarted,
  );
  return started as DetailOf<typeof LeaseStarted>;
};

/** An instant, whatever ISO 8601 form it is written in, as milliseconds: for comparing ends. */
export const instant = (timestamp: string | null | undefined) =>
  timestamp === null || timestamp === undefined ? Number.NaN : Date.parse(timestamp);

/** The instance as EC2 describes it to the operator, with the stack's own credentials. */
export const describeInstance = async (stack: StackUnderTest, instanceId: string): Promise<Instance> => {
  const { Reservations = [] } = await stack.ec2.send(
    new DescribeInstancesCommand({ InstanceIds: [instanceId] }),
  );
  const [instance] = Reservations.flatMap((reservation) => reservation.Instances ?? []);
  if (!instance) throw new Error(`EC2 does not describe ${instanceId}`);
  return instance;
};

/** The instance's ExpiresAt tag, as its launcher set it. */
export const expiresAtTagOf = (instance: Instance) =>
  instance.Tags?.find((tag) => tag.Key === EXPIRES_AT_TAG)?.Value;

/** Waits until EC2 describes the instance in `state` (running, stopped, terminated...). */
export const waitForInstanceState = (stack: StackUnderTest, instanceId: string, state: string) =>
  stack.eventually(
    () => describeInstance(stack, instanceId),
    (instance) => instance.State?.Name === state,
  );

/** The links of a reminder email to the request's portal page: one to extend the lease, one to release now. */
export const leaseLinksIn = (stack: StackUnderTest, email: MailboxEmail, requestId: string) => {
  const toRequest = linksIn(email).filter(
    (link) => link.startsWith(stack.portalUrl) && link.includes(requestId),
  );
  return {
    extend: toRequest.find((link) => /extend/i.test(link)),
    release: toRequest.find((link) => /release/i.test(link)),
  };
};
