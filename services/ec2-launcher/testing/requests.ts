import type { AcceptedRequest } from "../../../events/request.ts";
import { sampleRequest } from "../../../test/support/fixtures.ts";
import { type Ec2Request, ec2ApprovalSchema } from "../domain.ts";

/** The sample EC2 request, as the launcher reads it, with `overrides` over its fields. */
export const ec2RequestOf = (overrides: Partial<AcceptedRequest> = {}): Ec2Request =>
  ec2ApprovalSchema.shape.request.parse(sampleRequest(overrides));
