import { z } from "zod";
import { mustBe } from "./fields.ts";
import { emailSchema } from "./request.ts";

/** Building blocks of the events that carry how an approval policy decides a request. */

/** The policy that decided a request: its name and a hash of its text, so a later edit shows. */
export const policyRefSchema = z.strictObject({
  name: z.string(mustBe("a string")).min(1).max(100),
  hash: z.string().regex(/^[0-9a-f]{12}$/, "must be 12 hexadecimal digits"),
});

/**
 * Who decided when no person did: `policy:<name>` for a policy's auto-approval or denial. Decision
 * events carry it where they carry an approver's email.
 */
export const policyActorSchema = z.string().regex(/^policy:[^\s]{1,100}$/, "must be policy:<name>");

export const policyActorOf = (policyName: string): string => `policy:${policyName}`;

/** A person who decides, or a policy that did. */
export const deciderSchema = z.union(
  [emailSchema, policyActorSchema],
  mustBe("an email address or policy:<name>"),
);

/** One stage of a policy's approval: its place (from 0), its name, and how many stages there are. */
export const stageRefSchema = z.strictObject({
  index: z.number().int().min(0),
  name: z.string().min(1).max(100),
  count: z.number().int().min(1),
});

/** An approver asked in a stage; `onBehalfOf` when they were asked as someone's delegate. */
export const askedApproverSchema = z.strictObject({
  email: emailSchema,
  onBehalfOf: emailSchema.optional(),
});

/** Who a stage asks, as the policy names them (groups of the identity provider, emails). */
export const approverSpecSchema = z.strictObject({
  groups: z.array(z.string().min(1).max(128)),
  emails: z.array(emailSchema),
});

/** A counted approval, as the outcome lists them. */
export const approvalVoteSchema = z.strictObject({
  stage: z.number().int().min(0),
  approver: emailSchema,
  onBehalfOf: emailSchema.optional(),
  decidedAt: z.iso.datetime(),
});
