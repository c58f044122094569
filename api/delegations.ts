import { createRoute, z } from "@hono/zod-openapi";
import { emailSchema } from "../events/request.ts";
import { signedIn } from "./access.ts";
import { errorBodySchema } from "./schemas.ts";

/**
 * An approver's delegations: the times they are away and who decides for them meanwhile. Requests
 * whose stage starts in such a window ask the delegate instead, on the approver's behalf.
 * Browser-safe.
 */

const json = <S extends z.ZodType>(schema: S) => ({ "application/json": { schema } });

const answer = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: json(schema),
});

const refusal = (description: string) => answer(errorBodySchema, description);

const signInRefusals = {
  401: refusal("No access token, or one that is expired, tampered with or for another client."),
  403: refusal("The signed-in user is not an approver."),
};

const timestampSchema = z.iso.datetime({ error: "must be an ISO 8601 UTC timestamp" });

export const delegationWindowBodySchema = z
  .object({
    from: timestampSchema.openapi({ description: "When the approver is away from." }),
    to: timestampSchema.openapi({ description: "When they are back: after from, and in the future." }),
    // Who decides for them meanwhile: not themselves, and not someone away in that time.
    delegate: emailSchema,
  })
  .openapi("DelegationWindowBody");

export type DelegationWindowBody = z.output<typeof delegationWindowBodySchema>;

export const delegationWindowSchema = z
  .object({ from: z.string(), to: z.string(), delegate: z.string() })
  .openapi("DelegationWindow");

export const myDelegationsSchema = z
  .object({
    approver: z.string(),
    windows: z.array(delegationWindowSchema).openapi({
      description:
        "Every window that has not ended, oldest first; none when the approver is away at no time.",
    }),
  })
  .openapi("MyDelegations");

export type MyDelegations = z.output<typeof myDelegationsSchema>;

export const getMyDelegationsRoute = createRoute({
  method: "get",
  path: "/api/delegations/mine",
  summary: "My delegations",
  description: "The times the signed-in approver is away, and who decides for them meanwhile.",
  ...signedIn("approvers"),
  responses: { 200: answer(myDelegationsSchema, "The approver's windows."), ...signInRefusals },
});

export const setMyDelegationRoute = createRoute({
  method: "put",
  path: "/api/delegations/mine",
  summary: "Set a time I am away",
  description:
    "Sets a window: stages that start in it ask the delegate instead, on the approver's behalf. It replaces any window of theirs it overlaps. A delegate who is away themselves in that time is refused: delegations do not chain.",
  ...signedIn("approvers"),
  request: { body: { required: true, content: json(delegationWindowBodySchema) } },
  responses: {
    200: answer(myDelegationsSchema, "The approver's windows, the new one among them."),
    400: refusal("Names the field that is wrong: from, to or delegate."),
    ...signInRefusals,
    413: refusal("The body is larger than the API accepts."),
    415: refusal("The body is not application/json, or is compressed."),
    503: refusal("Saved but not announced to the services that route requests: send it again."),
  },
});

export const clearMyDelegationsRoute = createRoute({
  method: "delete",
  path: "/api/delegations/mine",
  summary: "Clear my delegations",
  description: "The approver is away at no time any more: stages that start from now on ask them.",
  ...signedIn("approvers"),
  responses: {
    200: answer(myDelegationsSchema, "The approver, with no windows."),
    ...signInRefusals,
    503: refusal("Saved but not announced to the services that route requests: send it again."),
  },
});

export const DELEGATION_ROUTES = [getMyDelegationsRoute, setMyDelegationRoute, clearMyDelegationsRoute];
