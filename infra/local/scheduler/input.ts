import { z } from "zod";
import { isPlainObject } from "../../../events/request-id.ts";
import { SchedulerApiError } from "./errors.ts";
import {
  checkTimezone,
  InvalidScheduleExpressionError,
  InvalidTimezoneError,
  parseScheduleExpression,
  UnsupportedScheduleExpressionError,
} from "./expression.ts";
import { DEFAULT_GROUP, eventBusOfArn } from "./scheduler.ts";
import type { ScheduleDefinition } from "./store.ts";

/** AWS's defaults for a target without a RetryPolicy: a day, and 185 retries. */
export const DEFAULT_RETRY_POLICY = { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 };

/** A StartDate may lie this far in the past, no further. */
const START_DATE_GRACE_MS = 5 * 60_000;

/** Target parameter blocks for targets other than EventBridge, which the local Scheduler does not invoke. */
const OTHER_TARGET_PARAMETERS = [
  "EcsParameters",
  "EventBridgePutEventsV2Parameters",
  "EventBridgePutRawEventsParameters",
  "KinesisParameters",
  "SageMakerPipelineParameters",
  "SqsParameters",
];

// The API reference's constraints, which AWS prints in its messages as written there.
const NAME_PATTERN = "^[0-9a-zA-Z-_.]+$";
const ROLE_ARN_PATTERN = "^arn:aws(-[a-z]+)?:iam::\\d{12}:role\\/[\\w+=,.@\\/-]+$";
const SQS_ARN_PATTERN = "^arn:aws(-[a-z]+)?:sqs:[a-z0-9\\-]+:\\d{12}:[a-zA-Z0-9\\-_]+$";
const CLIENT_TOKEN_PATTERN = "^[a-zA-Z0-9-_]+$";
const SOURCE_PATTERN = "(?=[/\\.\\-_A-Za-z0-9]+)((?!aws\\.).*)|(\\$(\\.[\\w_-]+(\\[(\\d+|\\*)\\])*)*)";
/** What SOURCE_PATTERN lets through for a fixed source: a first character of its set, and no `aws.`. */
const allowedSource = (source: string) => /^[/.\-_A-Za-z0-9]/.test(source) && !source.startsWith("aws.");

/** AWS's JSON protocols send an absent member as missing or as null; both mean "not given". */
const optional = <T extends z.ZodType>(schema: T) =>
  schema.nullish().transform((value) => value ?? undefined);

const TargetSchema = z
  .object({
    Arn: optional(z.string()),
    RoleArn: optional(z.string()),
    Input: optional(z.string()),
    EventBridgeParameters: optional(
      z.object({ DetailType: optional(z.string()), Source: optional(z.string()) }),
    ),
    DeadLetterConfig: optional(z.object({ Arn: optional(z.string()) })),
    RetryPolicy: optional(
      z.object({
        MaximumEventAgeInSeconds: optional(z.number().int()),
        MaximumRetryAttempts: optional(z.number().int()),
      }),
    ),
  })
  // Kept, not stripped, so a parameter block of another kind of target is refused by name.
  .catchall(z.unknown());

const ScheduleInputSchema = z.object({
  ScheduleExpression: optional(z.string()),
  ScheduleExpressionTimezone: optional(z.string()),
  Target: optional(TargetSchema),
  FlexibleTimeWindow: optional(
    z.object({ Mode: optional(z.string()), MaximumWindowInMinutes: optional(z.number().int()) }),
  ),
  GroupName: optional(z.string()),
  /** Epoch seconds: REST-JSON carries timestamps as numbers. */
  StartDate: optional(z.number()),
  EndDate: optional(z.number()),
  Description: optional(z.string()),
  State: optional(z.string()),
  KmsKeyArn: optional(z.string()),
  ClientToken: optional(z.string()),
  ActionAfterCompletion: optional(z.string()),
});

const GroupInputSchema = z.object({
  ClientToken: optional(z.string()),
  Tags: optional(z.array(z.object({ Key: z.string(), Value: z.string() }))),
});

/** Input of the wrong shape is refused while deserialising, before any validation, as AWS does. */
const parseInput = <T extends z.ZodType>(schema: T, input: unknown): z.output<T> => {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? ` at '${issue.path.join(".")}'` : "";
  throw new SchedulerApiError("SerializationException", `Unexpected value${where}: ${issue?.message ?? ""}`);
};

/**
 * The constraint violations of one call, in AWS's wording (`1 validation error detected: Value 'x' at
 * 'target.roleArn' failed to satisfy constraint: ...`), members named in lowerCamelCase as AWS does.
 */
class Violations {
  private readonly found: string[] = [];

  required<T>(value: T | undefined, member: string): value is T {
    if (value !== undefined) return true;
    this.found.push(`Value null at '${member}' failed to satisfy constraint: Member must not be null`);
    return false;
  }

  length(value: string | undefined, member: string, min: number, max: number): void {
    if (value === undefined) return;
    if (value.length < min)
      this.fail(value, member, `Member must have length greater than or equal to ${min}`);
    if (value.length > max) this.fail(value, member, `Member must have length less than or equal to ${max}`);
  }

  pattern(
    value: string | undefined,
    member: string,
    pattern: string,
    allowed = (text: string) => new RegExp(pattern).test(text),
  ): void {
    if (value !== undefined && !allowed(value)) {
      this.fail(value, member, `Member must satisfy regular expression pattern: ${pattern}`);
    }
  }

  oneOf(value: string | undefined, member: string, values: readonly string[]): void {
    if (value !== undefined && !values.includes(value)) {
      this.fail(value, member, `Member must satisfy enum value set: [${values.join(", ")}]`);
    }
  }

  range(value: number | undefined, member: string, min: number, max: number): void {
    if (value === undefined) return;
    if (value < min) this.fail(value, member, `Member must have value greater than or equal to ${min}`);
    if (value > max) this.fail(value, member, `Member must have value less than or equal to ${max}`);
  }

  throwIfAny(): void {
    const count = this.found.length;
    if (count === 0) return;
    throw new SchedulerApiError(
      "ValidationException",
      `${count} validation error${count === 1 ? "" : "s"} detected: ${this.found.join("; ")}`,
    );
  }

  private fail(value: unknown, member: string, constraint: string): void {
    this.found.push(`Value '${String(value)}' at '${member}' failed to satisfy constraint: ${constraint}`);
  }
}

const validation = (message: string) => new SchedulerApiError("ValidationException", message);

const checkName = (violations: Violations, value: string | undefined, member: string) => {
  violations.length(value, member, 1, 64);
  violations.pattern(value, member, NAME_PATTERN);
};

const checkClientToken = (violations: Violations, value: string | undefined, member: string) => {
  violations.length(value, member, 1, 64);
  violations.pattern(value, member, CLIENT_TOKEN_PATTERN);
};

/** The expression AWS would run, or its refusal; the timezone too, as at() reads its time there. */
const checkExpression = (expression: string, timezone: string) => {
  try {
    const parsed = parseScheduleExpression(expression);
    checkTimezone(timezone);
    return parsed;
  } catch (error) {
    if (
      error instanceof InvalidScheduleExpressionError ||
      error instanceof UnsupportedScheduleExpressionError ||
      error instanceof InvalidTimezoneError
    ) {
      throw new SchedulerApiError("ValidationException", error.message, { cause: error });
    }
    throw error;
  }
};

/** The refusals AWS makes of a target once its members are well formed, then the local Scheduler's own. */
const checkTarget = (target: z.output<typeof TargetSchema>, region: string) => {
  const bus = eventBusOfArn(target.Arn as string);
  if (bus && bus.region !== region) {
    throw validation(`The target ARN provided does not match the current region ${region}.`);
  }
  for (const block of OTHER_TARGET_PARAMETERS) {
    if (target[block] !== undefined && target[block] !== null) {
      throw validation(`Parameters ${block} not supported for the target.`);
    }
  }
  let detail: unknown = {};
  if (target.Input !== undefined) {
    try {
      detail = JSON.parse(target.Input);
    } catch (cause) {
      throw new SchedulerApiError("ValidationException", "JSON syntax error in input for the target.", {
        cause,
      });
    }
  }
  if (!bus) {
    throw validation(
      `The local Scheduler invokes EventBridge PutEvents targets only: Target.Arn must be an event bus ARN (arn:aws:events:${region}:ACCOUNT:event-bus/NAME), not ${target.Arn}.`,
    );
  }
  if (!target.EventBridgeParameters) {
    throw validation(
      "Target.EventBridgeParameters (DetailType, Source) must be given for an event bus target.",
    );
  }
  // AWS would take any JSON and fail each invocation, whose detail must be an object, into the DLQ.
  if (!isPlainObject(detail)) {
    throw validation(
      "Target.Input must be a JSON object: it becomes the detail of the event put on the bus.",
    );
  }
};

export interface ScheduleInput {
  groupName: string;
  definition: ScheduleDefinition;
  clientToken?: string;
}

/**
 * A CreateSchedule or UpdateSchedule call's body, checked as AWS checks it: members' constraints first
 * (all of them, in one message), then the expression, the window, the dates and the target.
 */
export const readScheduleInput = (
  name: string,
  body: unknown,
  region: string,
  now: number,
): ScheduleInput => {
  const input = parseInput(ScheduleInputSchema, body);
  const violations = new Violations();
  checkName(violations, name, "name");
  checkName(violations, input.GroupName, "groupName");
  if (violations.required(input.ScheduleExpression, "scheduleExpression")) {
    violations.length(input.ScheduleExpression, "scheduleExpression", 1, 256);
  }
  violations.length(input.ScheduleExpressionTimezone, "scheduleExpressionTimezone", 1, 50);
  violations.length(input.Description, "description", 0, 512);
  violations.oneOf(input.State, "state", ["ENABLED", "DISABLED"]);
  violations.oneOf(input.ActionAfterCompletion, "actionAfterCompletion", ["NONE", "DELETE"]);
  violations.length(input.KmsKeyArn, "kmsKeyArn", 1, 2048);
  checkClientToken(violations, input.ClientToken, "clientToken");
  const window = input.FlexibleTimeWindow;
  if (
    violations.required(window, "flexibleTimeWindow") &&
    violations.required(window.Mode, "flexibleTimeWindow.mode")
  ) {
    violations.oneOf(window.Mode, "flexibleTimeWindow.mode", ["OFF", "FLEXIBLE"]);
    violations.range(window.MaximumWindowInMinutes, "flexibleTimeWindow.maximumWindowInMinutes", 1, 1440);
  }
  const target = input.Target;
  if (violations.required(target, "target")) {
    if (violations.required(target.Arn, "target.arn")) violations.length(target.Arn, "target.arn", 1, 1600);
    if (violations.required(target.RoleArn, "target.roleArn")) {
      violations.length(target.RoleArn, "target.roleArn", 1, 1600);
      violations.pattern(target.RoleArn, "target.roleArn", ROLE_ARN_PATTERN);
    }
    violations.length(target.Input, "target.input", 1, Number.POSITIVE_INFINITY);
    const parameters = target.EventBridgeParameters;
    if (parameters) {
      if (violations.required(parameters.DetailType, "target.eventBridgeParameters.detailType")) {
        violations.length(parameters.DetailType, "target.eventBridgeParameters.detailType", 1, 128);
      }
      if (violations.required(parameters.Source, "target.eventBridgeParameters.source")) {
        violations.length(parameters.Source, "target.eventBridgeParameters.source", 1, 256);
        violations.pattern(
          parameters.Source,
          "target.eventBridgeParameters.source",
          SOURCE_PATTERN,
          allowedSource,
        );
      }
    }
    violations.pattern(target.DeadLetterConfig?.Arn, "target.deadLetterConfig.arn", SQS_ARN_PATTERN);
    const retry = target.RetryPolicy;
    violations.range(
      retry?.MaximumEventAgeInSeconds,
      "target.retryPolicy.maximumEventAgeInSeconds",
      60,
      86_400,
    );
    violations.range(retry?.MaximumRetryAttempts, "target.retryPolicy.maximumRetryAttempts", 0, 185);
  }
  violations.throwIfAny();

  // Past throwIfAny, every required member is there.
  const expression = input.ScheduleExpression as string;
  const timezone = input.ScheduleExpressionTimezone ?? "UTC";
  const parsed = checkExpression(expression, timezone);
  const { Mode: mode, MaximumWindowInMinutes: maximumWindow } = window as NonNullable<typeof window>;
  if (mode === "OFF" && maximumWindow !== undefined) {
    throw validation(
      "MaximumWindowInMinutes must not be provided when FlexibleTimeWindowMode is set to OFF.",
    );
  }
  if (mode === "FLEXIBLE" && maximumWindow === undefined) {
    throw validation(
      "MaximumWindowInMinutes must be provided when FlexibleTimeWindowMode is set to FLEXIBLE.",
    );
  }
  const startDate = input.StartDate === undefined ? undefined : Math.round(input.StartDate * 1000);
  const endDate = input.EndDate === undefined ? undefined : Math.round(input.EndDate * 1000);
  if (startDate !== undefined && endDate !== undefined && startDate >= endDate) {
    throw validation("The StartDate you specify must come before the EndDate.");
  }
  if (parsed.kind === "rate" && startDate !== undefined && startDate < now - START_DATE_GRACE_MS) {
    throw validation("The StartDate you specify cannot be earlier than 5 minutes ago.");
  }
  const checkedTarget = target as NonNullable<typeof target>;
  checkTarget(checkedTarget, region);
  const parameters = checkedTarget.EventBridgeParameters as { DetailType: string; Source: string };

  return {
    groupName: input.GroupName ?? DEFAULT_GROUP,
    clientToken: input.ClientToken,
    definition: {
      expression,
      timezone,
      description: input.Description,
      startDate,
      endDate,
      state: (input.State ?? "ENABLED") as ScheduleDefinition["state"],
      flexibleTimeWindow: {
        Mode: mode as ScheduleDefinition["flexibleTimeWindow"]["Mode"],
        MaximumWindowInMinutes: maximumWindow,
      },
      target: {
        Arn: checkedTarget.Arn as string,
        RoleArn: checkedTarget.RoleArn as string,
        Input: checkedTarget.Input,
        EventBridgeParameters: { DetailType: parameters.DetailType, Source: parameters.Source },
        DeadLetterConfig: checkedTarget.DeadLetterConfig,
        RetryPolicy: { ...DEFAULT_RETRY_POLICY, ...checkedTarget.RetryPolicy },
      },
      actionAfterCompletion: (input.ActionAfterCompletion ??
        "NONE") as ScheduleDefinition["actionAfterCompletion"],
      kmsKeyArn: input.KmsKeyArn,
    },
  };
};

/** The name and the group (query `groupName`, the default one when absent) of GetSchedule and DeleteSchedule. */
export const readScheduleAddress = (name: string, query: URLSearchParams) => {
  const violations = new Violations();
  const groupName = query.get("groupName") ?? undefined;
  const clientToken = query.get("clientToken") ?? undefined;
  checkName(violations, name, "name");
  checkName(violations, groupName, "groupName");
  checkClientToken(violations, clientToken, "clientToken");
  violations.throwIfAny();
  return { groupName: groupName ?? DEFAULT_GROUP, clientToken };
};

export const readGroupInput = (name: string, body: unknown) => {
  const { ClientToken: clientToken } = parseInput(GroupInputSchema, body);
  const violations = new Violations();
  checkName(violations, name, "name");
  checkClientToken(violations, clientToken, "clientToken");
  violations.throwIfAny();
  return { clientToken };
};

/** ListSchedules' and ListScheduleGroups' page size: AWS's range, 100 at most. */
export const readMaxResults = (query: URLSearchParams): number => {
  const text = query.get("MaxResults");
  const value = text === null ? 100 : Number(text);
  if (!Number.isInteger(value)) {
    throw new SchedulerApiError("SerializationException", `Unexpected value at 'MaxResults': ${text}`);
  }
  const violations = new Violations();
  violations.range(value, "maxResults", 1, 100);
  violations.throwIfAny();
  return value;
};
