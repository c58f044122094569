import { z } from "zod";
import { InvalidDurationError, parseDuration } from "../events/duration.ts";
import { mustBe } from "../events/fields.ts";
import { END_ACTIONS } from "../events/lease.ts";
import { leaseDurationSchema } from "../events/lease-duration.ts";
import { emailSchema, reasonSchema } from "../events/request.ts";
import {
  compileExplainingEventPattern,
  type EventPattern,
  type ExplainingEventPattern,
  InvalidEventPatternError,
} from "../lib/event-pattern/index.ts";
import { groupNameSchema } from "./request.ts";

/**
 * The approval-policy file (docs/POLICIES.md): `{"policies": [...]}`, each policy a name, an optional
 * EventBridge pattern (`match`) and exactly one outcome: `autoApprove`, `deny` or `stages` of approvers.
 * Parsing normalises what a policy says: durations in milliseconds, stage names filled in, emails in
 * lower case, patterns compiled once.
 */

/** Who may approve: members of the identity provider's groups, and people by email. */
export interface Approvers {
  groups: string[];
  emails: string[];
}

export interface Stage {
  name: string;
  approvers: Approvers;
  /** How many distinct approvers complete the stage; "all" for every one asked. */
  quorum: number | "all";
}

export type PolicyOutcome =
  | { kind: "autoApprove"; reason: string }
  | { kind: "deny"; reason: string }
  | {
      kind: "stages";
      stages: Stage[];
      expiresAfterMs?: number;
      reminders?: { everyMs: number; max: number };
      escalation?: { afterMs: number; to: Approvers };
    };

export type OutcomeKind = PolicyOutcome["kind"];

export const OUTCOME_KINDS = ["autoApprove", "deny", "stages"] as const satisfies readonly OutcomeKind[];

/** A policy's pattern as written, compiled to decide requests and to say why one does not match. */
export interface CompiledMatch extends ExplainingEventPattern {
  pattern: EventPattern;
}

/**
 * What a policy says of the leases of the requests it decides (policy/lease.ts applies it); each
 * duration is kept as written, for the events and the emails that show it.
 */
export interface LeaseRules {
  /** The lease of a request that asks for none; the deployment's LEASE_DEFAULT when absent. */
  default?: string;
  /** The longest a lease may run, extensions included, from PROVISIONED; the deployment's LEASE_MAX when absent. */
  max?: string;
  /** Whether a request may ask for no end ("none"). */
  noEnd: boolean;
  /**
   * Extensions that keep the whole lease within this are approved by the policy; longer ones (up to
   * `max`) go to the policy's approvers. Absent: a policy with stages asks its approvers every time.
   */
  autoExtendUpTo?: string;
  /** What is done at the end, per resource type; absent types get the defaults (terminate, snapshot-and-delete). */
  onEnd: { ec2?: (typeof END_ACTIONS.ec2)[number]; rds?: (typeof END_ACTIONS.rds)[number] };
}

/** A policy as parsed, before the loader gives it its hash. */
export interface ParsedPolicy {
  name: string;
  description?: string;
  /** Absent when the policy matches every request (no `match`, or an empty one). */
  match?: CompiledMatch;
  outcome: PolicyOutcome;
  lease: LeaseRules;
}

/** Policy names appear in events (`policy:<name>` decides an auto-approved request) and in URLs. */
const POLICY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const DESCRIPTION_MAX_LENGTH = 500;
const STAGE_NAME_MAX_LENGTH = 100;

const durationSchema = z
  .string(mustBe("an ISO 8601 duration such as PT24H or P3D"))
  .transform((text, context) => {
    try {
      const milliseconds = parseDuration(text);
      if (milliseconds > 0) return milliseconds;
      context.addIssue({ code: "custom", input: text, message: "must be longer than zero" });
    } catch (error) {
      if (!(error instanceof InvalidDurationError)) throw error;
      context.addIssue({ code: "custom", input: text, message: error.message });
    }
    return z.NEVER;
  });

const positiveWholeNumber = z
  .number(mustBe("a positive whole number"))
  .int("must be a positive whole number")
  .min(1, "must be a positive whole number");

const approversSchema = z
  .strictObject(
    {
      groups: z.array(groupNameSchema, mustBe("a list of group names")).optional(),
      emails: z
        .array(
          emailSchema.transform((email) => email.toLowerCase()),
          mustBe("a list of email addresses"),
        )
        .optional(),
    },
    mustBe("an object with groups or emails"),
  )
  .transform(({ groups = [], emails = [] }, context): Approvers => {
    if (groups.length + emails.length === 0) {
      context.addIssue({ code: "custom", input: {}, message: "must name at least one group or email" });
    }
    return { groups: [...new Set(groups)], emails: [...new Set(emails)] };
  });

const stageSchema = z
  .strictObject(
    {
      name: z
        .string(mustBe("a string"))
        .trim()
        .min(1, "must not be empty")
        .max(STAGE_NAME_MAX_LENGTH, `must be at most ${STAGE_NAME_MAX_LENGTH} characters`)
        .optional(),
      approvers: approversSchema,
      quorum: z.union([positiveWholeNumber, z.literal("all")], mustBe('a positive whole number or "all"')),
    },
    mustBe("an object with approvers and a quorum"),
  )
  .superRefine(({ approvers, quorum }, context) => {
    // With groups, who is eligible is known only per request; with emails alone, a quorum beyond them never comes.
    const listed = approvers.emails.length;
    if (typeof quorum === "number" && approvers.groups.length === 0 && quorum > listed) {
      context.addIssue({
        code: "custom",
        path: ["quorum"],
        input: quorum,
        message: `must be at most ${listed}: the stage names ${listed} approver email${listed === 1 ? "" : "s"} and no group`,
      });
    }
  });

const matchSchema = z.unknown().transform((pattern, context): CompiledMatch | undefined => {
  if (typeof pattern !== "object" || pattern === null || Array.isArray(pattern)) {
    context.addIssue({
      code: "custom",
      input: pattern,
      message: "must be an EventBridge event pattern (an object)",
    });
    return z.NEVER;
  }
  if (Object.keys(pattern).length === 0) return undefined;
  try {
    return { pattern: pattern as EventPattern, ...compileExplainingEventPattern(pattern) };
  } catch (error) {
    if (!(error instanceof InvalidEventPatternError)) throw error;
    context.addIssue({
      code: "custom",
      input: pattern,
      message: `is not a valid EventBridge event pattern: ${error.reason}`,
    });
    return z.NEVER;
  }
});

const decisionSchema = z.strictObject(
  { reason: z.string(mustBe("a string")).pipe(reasonSchema.min(1, "must not be empty")) },
  mustBe("an object with a reason"),
);

const leaseRulesSchema = z
  .strictObject(
    {
      default: leaseDurationSchema.optional(),
      max: leaseDurationSchema.optional(),
      noEnd: z.boolean(mustBe("true or false")).optional(),
      autoExtendUpTo: leaseDurationSchema.optional(),
      onEnd: z
        .strictObject(
          {
            ec2: z.enum(END_ACTIONS.ec2, mustBe(END_ACTIONS.ec2.join(" or "))).optional(),
            rds: z.enum(END_ACTIONS.rds, mustBe(END_ACTIONS.rds.join(" or "))).optional(),
          },
          mustBe("an object with ec2 or rds"),
        )
        .optional(),
    },
    mustBe("an object with default, max, noEnd, autoExtendUpTo or onEnd"),
  )
  .superRefine((rules, context) => {
    const longest = rules.max === undefined ? undefined : parseDuration(rules.max);
    for (const field of ["default", "autoExtendUpTo"] as const) {
      const value = rules[field];
      if (value === undefined || longest === undefined || parseDuration(value) <= longest) continue;
      context.addIssue({
        code: "custom",
        path: [field],
        input: value,
        message: `must not be longer than the policy's max (${rules.max})`,
      });
    }
  })
  .transform(({ noEnd = false, onEnd = {}, ...durations }): LeaseRules => ({ ...durations, noEnd, onEnd }));

/** The fields that only shape how stages are waited for. */
const STAGE_TIMING = ["expiresAfter", "reminders", "escalation"] as const;

const policySchema = z
  .strictObject(
    {
      name: z
        .string(mustBe("a string"))
        .regex(
          POLICY_NAME,
          "must be 1 to 64 letters, digits, '.', '-' or '_', starting with a letter or digit",
        ),
      description: z
        .string(mustBe("a string"))
        .max(DESCRIPTION_MAX_LENGTH, `must be at most ${DESCRIPTION_MAX_LENGTH} characters`)
        .optional(),
      match: matchSchema.optional(),
      autoApprove: decisionSchema.optional(),
      deny: decisionSchema.optional(),
      stages: z
        .array(stageSchema, mustBe("a list of stages"))
        .min(1, "must list at least one stage")
        .optional(),
      expiresAfter: durationSchema.optional(),
      reminders: z
        .strictObject(
          { every: durationSchema, max: positiveWholeNumber },
          mustBe("an object with every and max"),
        )
        .optional(),
      escalation: z
        .strictObject({ after: durationSchema, to: approversSchema }, mustBe("an object with after and to"))
        .optional(),
      lease: leaseRulesSchema.optional(),
    },
    mustBe("an object with a name and one of autoApprove, deny or stages"),
  )
  .superRefine((policy, context) => {
    const [first, ...others] = OUTCOME_KINDS.filter((kind) => policy[kind] !== undefined);
    if (first === undefined) {
      context.addIssue({
        code: "custom",
        input: policy,
        message: "must have one of autoApprove, deny or stages",
      });
    }
    for (const other of others) {
      context.addIssue({
        code: "custom",
        path: [other],
        input: policy[other],
        message: `cannot be given beside ${first}: a policy decides in one way`,
      });
    }
    if (policy.stages !== undefined) return;
    for (const field of STAGE_TIMING) {
      if (policy[field] === undefined) continue;
      context.addIssue({
        code: "custom",
        path: [field],
        input: policy[field],
        message: "applies only to a policy with stages",
      });
    }
  })
  .transform(
    ({ name, description, match, autoApprove, deny, stages = [], lease, ...timing }): ParsedPolicy => {
      const outcome: PolicyOutcome = autoApprove
        ? { kind: "autoApprove", reason: autoApprove.reason }
        : deny
          ? { kind: "deny", reason: deny.reason }
          : {
              kind: "stages",
              stages: stages.map((stage, index) => ({ ...stage, name: stage.name ?? `stage ${index + 1}` })),
              ...(timing.expiresAfter !== undefined && { expiresAfterMs: timing.expiresAfter }),
              ...(timing.reminders && {
                reminders: { everyMs: timing.reminders.every, max: timing.reminders.max },
              }),
              ...(timing.escalation && {
                escalation: { afterMs: timing.escalation.after, to: timing.escalation.to },
              }),
            };
      return {
        name,
        ...(description !== undefined && { description }),
        ...(match && { match }),
        outcome,
        lease: lease ?? { noEnd: false, onEnd: {} },
      };
    },
  );

export const policyFileSchema = z.strictObject(
  {
    policies: z.array(policySchema, mustBe("a list of policies")).min(1, "must list at least one policy"),
  },
  mustBe('an object with a "policies" list'),
);
