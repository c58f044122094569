import type { DetailInputOf } from "../../../events/contract.ts";
import {
  ExtensionDecided,
  LeaseExpiring,
  LeaseExtended,
  ReleaseFailed,
  ResourceReleased,
} from "../../../events/lease-events.ts";
import { sampleRequest } from "../../../test/support/fixtures.ts";
import { delivered } from "./delivered.ts";

/** The news of a lease as the bus delivers it to the notifier, for the EC2 instance of `sampleRequest`. */

const INSTANCE = { type: "ec2", instanceId: "i-0123456789abcdef0", region: "eu-west-1" } as const;

const EXTENSION = {
  n: 1,
  from: "2030-01-08T10:05:00.000Z",
  until: "2030-01-15T10:05:00.000Z",
  justification: "The load tests run another week",
};

export const leaseExpiring = (requestId: string, fields: Partial<DetailInputOf<typeof LeaseExpiring>> = {}) =>
  delivered(LeaseExpiring, {
    requestId,
    request: sampleRequest({ requestId }),
    resource: INSTANCE,
    endsAt: "2030-01-08T10:05:00.000Z",
    onEnd: "terminate",
    n: 1,
    remindedAt: "2030-01-05T10:05:00.000Z",
    ...fields,
  });

export const leaseExtended = (requestId: string, fields: Partial<DetailInputOf<typeof LeaseExtended>> = {}) =>
  delivered(LeaseExtended, {
    requestId,
    request: sampleRequest({ requestId }),
    resource: INSTANCE,
    extension: EXTENSION,
    previousEndsAt: EXTENSION.from,
    endsAt: EXTENSION.until,
    decider: "bob@example.com",
    extendedAt: "2030-01-06T09:00:00.000Z",
    ...fields,
  });

export const extensionDecided = (
  requestId: string,
  fields: Partial<DetailInputOf<typeof ExtensionDecided>> & { approved: boolean },
) =>
  delivered(ExtensionDecided, {
    requestId,
    request: sampleRequest({ requestId }),
    extension: EXTENSION,
    decidedAt: "2030-01-06T09:00:00.000Z",
    ...fields,
  });

export const resourceReleased = (
  requestId: string,
  fields: Partial<DetailInputOf<typeof ResourceReleased>> = {},
) =>
  delivered(ResourceReleased, {
    requestId,
    request: sampleRequest({ requestId }),
    resource: INSTANCE,
    action: "terminate",
    outcome: "terminated",
    reason: "lease-ended",
    releasedAt: "2030-01-08T10:05:30.000Z",
    ...fields,
  });

export const releaseFailed = (requestId: string, fields: Partial<DetailInputOf<typeof ReleaseFailed>> = {}) =>
  delivered(ReleaseFailed, {
    requestId,
    request: sampleRequest({ requestId }),
    resource: INSTANCE,
    action: "terminate",
    reason: "lease-ended",
    problem: "The instance is still running after TerminateInstances",
    kept: false,
    attempts: 3,
    failedAt: "2030-01-08T10:12:00.000Z",
    ...fields,
  });
