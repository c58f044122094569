import { z } from "zod";
import { defineEvent } from "./contract.ts";
import { instanceIdSchema } from "./request.ts";

export const EC2_INSTANCE_STATES = [
  "pending",
  "running",
  "shutting-down",
  "terminated",
  "stopping",
  "stopped",
] as const;

/** Published by AWS itself (or the local EC2) on the default bus; we only consume it. */
export const Ec2InstanceStateChange = defineEvent({
  source: "aws.ec2",
  detailType: "EC2 Instance State-change Notification",
  description: "EC2 reports an instance's new state.",
  schema: z.object({
    "instance-id": instanceIdSchema,
    state: z.enum(EC2_INSTANCE_STATES),
  }),
});
