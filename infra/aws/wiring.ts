import { ApprovalRequested } from "../../events/approval-requested.ts";
import type { EventContract } from "../../events/contract.ts";
import { ProvisioningFailed } from "../../events/provisioning-failed.ts";
import { ProvisioningStarted } from "../../events/provisioning-started.ts";
import { RequestAccepted } from "../../events/request-accepted.ts";
import { RequestApproved } from "../../events/request-approved.ts";
import { RequestExpired } from "../../events/request-expired.ts";
import { RequestInvalid } from "../../events/request-invalid.ts";
import { RequestRejected } from "../../events/request-rejected.ts";
import { RequesterNotified } from "../../events/requester-notified.ts";
import { ResourceProvisioned } from "../../events/resource-provisioned.ts";
import { ResourceRequested } from "../../events/resource-requested.ts";
import { tables as auditTables } from "../../services/audit/tables.ts";
import { approvalsTable, tables as decisionTables } from "../../services/decision/tables.ts";
import { subscriptions as ec2LauncherSubscriptions } from "../../services/ec2-launcher/subscriptions.ts";
import { tables as ec2LauncherTables } from "../../services/ec2-launcher/tables.ts";
import { tables as intakeTables } from "../../services/intake/tables.ts";
import { tables as notifierTables } from "../../services/notifier/tables.ts";
import type { HandlerRef, ServiceName, Subscription } from "../../services/subscription.ts";
import type { TableSpec } from "../table-spec.ts";

/**
 * What the services' code needs from AWS that their declarations do not say: which tables (their own and
 * others') they use, which deployment settings their config reads, and which other resources
 * they call. The stack turns each entry into environment variables and `grant*` calls, nothing more.
 */

/** Deployment settings a service's config reads from its environment, by variable name. */
export type SettingName =
  | "SENDER"
  | "APPROVERS"
  | "APPROVAL_TTL_SECONDS"
  | "PUBLIC_URL"
  | "IMAGE_IDS"
  | "SECURITY_GROUP_IDS"
  | "DEFAULT_SUBNET_ID";

export interface Ec2Grants {
  /** Handlers that launch instances (RunInstances, tagging at launch). */
  launch: readonly HandlerRef[];
  /** Handlers that only look instances up (DescribeInstances). */
  describe: readonly HandlerRef[];
}

/** An event a service publishes, and the source it publishes it under: one of the contract's producers. */
export interface Publication {
  contract: EventContract;
  source: string;
}

/** Events a service publishes as their own producer, under the source the catalog gives each. */
const asProducer = (...contracts: EventContract[]): Publication[] =>
  contracts.map((contract) => ({ contract, source: contract.source }));

export interface ServiceWiring {
  /** Every table the service's functions read and write, its own and others'. */
  tables: readonly TableSpec[];
  settings: readonly SettingName[];
  /** What the service's functions publish: PutEvents is granted for these sources and detail-types only. */
  publishes: readonly Publication[];
  sendsEmail: boolean;
  /** The key that signs and verifies decision links. */
  readsHmacKey: boolean;
  ec2?: Ec2Grants;
  /** Who may call the service's HTTP routes and what protects them: the reason API Gateway has no authorizer. */
  httpAccess?: string;
}

export class WiringError extends Error {
  override readonly name = "WiringError";
}

const handlerOf = (subscriptions: readonly Subscription[], name: string): HandlerRef => {
  const subscription = subscriptions.find((candidate) => candidate.name === name);
  if (!subscription) throw new WiringError(`No subscription named ${name}: update infra/aws/wiring.ts`);
  return subscription.handler;
};

export const wiring: Record<ServiceName, ServiceWiring> = {
  intake: {
    tables: intakeTables,
    settings: [],
    publishes: asProducer(ResourceRequested, RequestAccepted, RequestInvalid),
    sendsEmail: false,
    readsHmacKey: false,
    httpAccess:
      "Submitting a request is open to whoever reaches the portal, like any other producer of ResourceRequested: it only asks, an approver decides, and the stage throttles it",
  },
  "approval-mail": {
    // approval-mail creates the approval items the decision service later decides on.
    tables: [approvalsTable],
    settings: ["SENDER", "APPROVERS", "APPROVAL_TTL_SECONDS", "PUBLIC_URL"],
    // Policy refusals are approval-mail's own RequestRejected, published under its source.
    publishes: [
      ...asProducer(ApprovalRequested),
      { contract: RequestRejected, source: ApprovalRequested.source },
    ],
    sendsEmail: true,
    readsHmacKey: true,
  },
  decision: {
    tables: decisionTables,
    settings: ["PUBLIC_URL"],
    publishes: [
      ...asProducer(RequestApproved, RequestRejected, RequestExpired),
      // The sweeper publishes the policy refusals a crash in approval-mail left unpublished, as approval-mail.
      { contract: RequestRejected, source: ApprovalRequested.source },
    ],
    sendsEmail: false,
    readsHmacKey: true,
    httpAccess:
      "The decision pages are authorized by the link's token: HMAC-signed, single use, bound to one approver and expiring, checked before any read; approvers have no other account",
  },
  "ec2-launcher": {
    tables: ec2LauncherTables,
    settings: ["IMAGE_IDS", "SECURITY_GROUP_IDS", "DEFAULT_SUBNET_ID"],
    publishes: asProducer(ProvisioningStarted, ResourceProvisioned, ProvisioningFailed),
    sendsEmail: false,
    readsHmacKey: false,
    ec2: {
      launch: [handlerOf(ec2LauncherSubscriptions, "ec2-launcher-on-request-approved")],
      describe: [handlerOf(ec2LauncherSubscriptions, "ec2-launcher-on-instance-state-change")],
    },
  },
  notifier: {
    tables: notifierTables,
    settings: ["SENDER"],
    publishes: asProducer(RequesterNotified),
    sendsEmail: true,
    readsHmacKey: false,
  },
  audit: {
    tables: auditTables,
    settings: [],
    publishes: [],
    sendsEmail: false,
    readsHmacKey: false,
    httpAccess:
      "Read-only request status for the portal, which has no sign-in in this release; deployments that need one put CloudFront behind their identity provider (docs/DEPLOYMENT.md)",
  },
};
