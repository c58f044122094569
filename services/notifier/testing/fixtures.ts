import { randomUUID } from "node:crypto";
import type { DetailInputOf, EventContract } from "../../../events/contract.ts";
import type { AcceptedRequest } from "../../../events/request.ts";
import { type NotifiableEvent, notifiableEventSchema } from "../domain.ts";

/** Markup an attacker might put in any free-text field; emails must show it as text. */
export const MARKUP = `<script>alert("x")</script><img src=x onerror=alert(1)>`;

export const requestOf = (requestId: string, overrides: Partial<AcceptedRequest> = {}): AcceptedRequest => ({
  requestId,
  requester: { email: "ana@example.com", name: "Ana" },
  resource: {
    type: "ec2",
    instanceType: "t3.micro",
    os: "amazon-linux-2023",
    name: "build-box",
    volume: { sizeGiB: 20, type: "gp3" },
    privateIp: "10.0.1.25",
    subnetId: "subnet-0abc1234",
  },
  justification: "Build agent",
  ...overrides,
});

/** The event as the bus delivers it to the notifier: envelope and detail, parsed by the handler's schema. */
export const delivered = <C extends EventContract>(
  contract: C,
  detail: DetailInputOf<C>,
  id: string = randomUUID(),
): NotifiableEvent =>
  notifiableEventSchema.parse({
    version: "0",
    id,
    "detail-type": contract.detailType,
    source: contract.source,
    account: "000000000000",
    time: "2030-01-01T10:00:00Z",
    region: "us-east-1",
    resources: [],
    detail,
  });
