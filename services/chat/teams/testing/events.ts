import { ApprovalStageStarted } from "../../../../events/approval-stage-started.ts";
import type { DetailInputOf, EventContract } from "../../../../events/contract.ts";
import type { AcceptedRequest } from "../../../../events/request.ts";
import { envelopeOf } from "../../../../test/support/fixtures.ts";
import { type TeamsEvent, teamsEventSchema } from "../cards.ts";

/** The event as the bus delivers it to the Teams cards' handler: envelope and detail, parsed by its schema. */
export const deliveredToTeams = <C extends EventContract>(
  contract: C,
  detail: DetailInputOf<C>,
): TeamsEvent => teamsEventSchema.parse(envelopeOf(contract, detail));

/** Round 1 of the extensions of a request's lease: a week more. */
export const EXTENSION = {
  n: 1,
  from: "2030-01-08T10:00:00.000Z",
  until: "2030-01-15T10:00:00.000Z",
  justification: "The migration runs another week",
};

/** The first of two stages of the request's approval started, asking two team leads, both needed. */
export const stageStarted = (
  request: AcceptedRequest,
  overrides: Partial<DetailInputOf<typeof ApprovalStageStarted>> = {},
): TeamsEvent =>
  deliveredToTeams(ApprovalStageStarted, {
    requestId: request.requestId,
    request,
    lease: { duration: "P7D", onEnd: "terminate", max: "P90D" },
    policy: { name: "large-instances", hash: "0123456789ab" },
    stage: { index: 0, name: "team leads", count: 2 },
    approvers: [{ email: "bob@example.com" }, { email: "cy@example.com", onBehalfOf: "dee@example.com" }],
    quorum: 2,
    expiresAt: "2030-01-01T11:00:00.000Z",
    startedAt: "2030-01-01T10:00:00.000Z",
    ...overrides,
  });
