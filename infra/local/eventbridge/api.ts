import { z } from "zod";
import { APPROVALS_BUS, DEFAULT_BUS } from "../../../events/contract.ts";
import type { EventPattern } from "../../../events/patterns.ts";
import { isPlainObject } from "../../../events/request-id.ts";
import {
  InvalidEventPatternError,
  matchesEventPattern,
  validateEventPattern,
} from "../../../lib/event-pattern/index.ts";
import { type EdgeRequest, type EdgeResponse, jsonError, type ServiceHandler } from "../edge/types.ts";
import { nestsDeeperThan } from "../json-depth.ts";
import { newBusEvent } from "./envelope.ts";
import { type AcceptedEvent, type EventBusEngine, LOCAL_ACCOUNT_ID } from "./types.ts";

/** The `X-Amz-Target` prefix `@aws-sdk/client-eventbridge` and the AWS CLI send. */
const TARGET_PREFIX = "AWSEvents.";
const MAX_ENTRIES_PER_CALL = 10;
/** AWS refuses a PutEvents call whose entries together exceed this, measured by `entrySizeOf`. */
const MAX_ENTRIES_BYTES = 256 * 1024;
/** AWS counts a given `Time` as this many bytes, whatever its form. */
const TIME_ENTRY_BYTES = 14;
/** The envelope fields AWS's TestEventPattern insists on; the docs also list `resources`, AWS does not. */
const REQUIRED_TEST_EVENT_FIELDS = ["id", "account", "source", "time", "region", "detail-type"] as const;

/** An error AWS answers with its own `__type`; anything else thrown becomes an `InternalException`. */
class EventsApiError extends Error {
  override readonly name = "EventsApiError";
  constructor(
    readonly type: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const validationError = (message: string) => new EventsApiError("ValidationException", message);

/** AWS JSON protocols send an absent member as missing or as null; both mean "not given". */
const optional = <T extends z.ZodType>(schema: T) =>
  schema.nullish().transform((value) => value ?? undefined);

const PutEventsEntrySchema = z.object({
  Source: optional(z.string()),
  DetailType: optional(z.string()),
  Detail: optional(z.string()),
  Resources: optional(z.array(z.string())),
  /** Epoch seconds: JSON 1.1 carries timestamps as numbers. */
  Time: optional(z.number()),
  EventBusName: optional(z.string()),
  TraceHeader: optional(z.string()),
});
type PutEventsEntry = z.output<typeof PutEventsEntrySchema>;

const PutEventsInputSchema = z.object({ Entries: optional(z.array(PutEventsEntrySchema)) });
const TestEventPatternInputSchema = z.object({
  EventPattern: optional(z.string()),
  Event: optional(z.string()),
});
const DescribeEventBusInputSchema = z.object({ Name: optional(z.string()) });
const ListEventBusesInputSchema = z.object({ NamePrefix: optional(z.string()) });

/** Input of the wrong shape is refused while deserialising, before any validation, as AWS does. */
const parseInput = <T extends z.ZodType>(schema: T, input: unknown): z.output<T> => {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? ` at '${issue.path.join(".")}'` : "";
  throw new EventsApiError("SerializationException", `Unexpected value${where}: ${issue?.message ?? ""}`);
};

/** AWS's refusal of absent required members, e.g. `Value null at 'eventPattern' failed to ...`. */
const absentMembersError = (members: Record<string, unknown>) => {
  const absent = Object.keys(members).filter((member) => members[member] === undefined);
  const count = absent.length === 1 ? "1 validation error" : `${absent.length} validation errors`;
  const details = absent.map(
    (member) => `Value null at '${member}' failed to satisfy constraint: Member must not be null`,
  );
  return validationError(`${count} detected: ${details.join("; ")}`);
};

/** An entry as AWS prints it in the message that refuses a whole PutEvents call. */
const describeEntry = (entry: PutEventsEntry): string => {
  const show = (value: unknown) => (value === undefined ? "null" : String(value));
  const resources = entry.Resources ? `[${entry.Resources.join(", ")}]` : "null";
  return (
    `PutEventsRequestEntry(time=${show(entry.Time)}, source=${show(entry.Source)}, resources=${resources}, ` +
    `detailType=${show(entry.DetailType)}, detail=${show(entry.Detail)}, ` +
    `eventBusName=${show(entry.EventBusName)}, traceHeader=${show(entry.TraceHeader)})`
  );
};

const checkEntryCount = (entries: PutEventsEntry[]) => {
  const constraint =
    entries.length === 0
      ? "Member must have length greater than or equal to 1"
      : entries.length > MAX_ENTRIES_PER_CALL
        ? `Member must have length less than or equal to ${MAX_ENTRIES_PER_CALL}`
        : undefined;
  if (!constraint) return;
  throw validationError(
    `1 validation error detected: Value '[${entries.map(describeEntry).join(", ")}]' at 'entries' ` +
      `failed to satisfy constraint: ${constraint}`,
  );
};

/** The size AWS documents for a PutEvents entry (eb-putevent-size): UTF-8 bytes of its parts. */
const entrySizeOf = (entry: PutEventsEntry): number =>
  (entry.Time === undefined ? 0 : TIME_ENTRY_BYTES) +
  [entry.Source, entry.DetailType, entry.Detail, ...(entry.Resources ?? [])].reduce(
    (size, part) => size + (part === undefined ? 0 : Buffer.byteLength(part, "utf8")),
    0,
  );

/** A failed entry of a PutEvents answer, with AWS's code and wording. */
interface EntryFailure {
  ErrorCode: string;
  ErrorMessage: string;
}

/** Sources starting so are AWS's own services': nobody may put them through the API, as on AWS. */
const AWS_SOURCE_PREFIX = "aws.";

const notAuthorizedForSource: EntryFailure = {
  ErrorCode: "NotAuthorizedForSourceException",
  ErrorMessage: "Not authorized for the source.",
};

/**
 * A source a bus's resource policy keeps to some principals: an explicit Deny of `events:PutEvents`
 * for everyone else on entries whose `events:source` starts with `sourcePrefix`, as the CDK app's bus
 * policy keeps `approvals.*` to the stack's function roles.
 */
export interface ReservedSource {
  busName: string;
  sourcePrefix: string;
  /** ARNs of the principals the policy lets publish it. */
  principals: readonly string[];
}

/** The sources of our services' events, all under `approvals.`. */
const SERVICES_SOURCE_PREFIX = "approvals.";

/** The approvals bus's policy, as the CDK app writes it: our services' sources are the services' role's alone. */
export const approvalsBusPolicy = (servicesRoleArn: string): ReservedSource => ({
  busName: APPROVALS_BUS,
  sourcePrefix: SERVICES_SOURCE_PREFIX,
  principals: [servicesRoleArn],
});

/**
 * AWS authorizes PutEvents entry by entry (each names its own bus, under its own policy): an entry the
 * bus's policy denies fails alone with `AccessDeniedException`, one of the per-entry codes of the API
 * reference (PutEventsResultEntry), in IAM's wording, while the call and its other entries go through.
 */
const deniedByBusPolicy = (principalArn: string, busArn: string): EntryFailure => ({
  ErrorCode: "AccessDeniedException",
  ErrorMessage:
    `User: ${principalArn} is not authorized to perform: events:PutEvents on resource: ${busArn} ` +
    "with an explicit deny in a resource-based policy",
});

const missingArgument = (parameter: string): EntryFailure => ({
  ErrorCode: "InvalidArgument",
  ErrorMessage: `Parameter ${parameter} is not valid. Reason: ${parameter} is a required argument.`,
});

const parseJson = (text: string): { ok: true; value: unknown } | { ok: false; reason: string } => {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
};

type CheckedEntry =
  | { ok: true; source: string; detailType: string; detail: Record<string, unknown> }
  | { ok: false; failure: EntryFailure };

/**
 * Deeper details are refused as malformed here rather than accepted: the consumers' parsers recurse, and
 * an event none of them can read would only be retried into the dead-letter store.
 */
const MAX_DETAIL_NESTING = 100;

/** The per-entry checks AWS makes, in its order: required fields, then the detail's JSON. */
const checkEntry = ({ Source, DetailType, Detail }: PutEventsEntry): CheckedEntry => {
  if (!Source) return { ok: false, failure: missingArgument("Source") };
  if (!DetailType) return { ok: false, failure: missingArgument("DetailType") };
  if (!Detail) return { ok: false, failure: missingArgument("Detail") };
  const detail = parseJson(Detail);
  if (!detail.ok || !isPlainObject(detail.value) || nestsDeeperThan(detail.value, MAX_DETAIL_NESTING)) {
    return { ok: false, failure: { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." } };
  }
  return { ok: true, source: Source, detailType: DetailType, detail: detail.value };
};

/** The pattern as the matcher validated it; the matcher also reads the JSON text, with AWS's reasons. */
const patternOf = (text: string): EventPattern => {
  try {
    return validateEventPattern(text);
  } catch (error) {
    if (error instanceof InvalidEventPatternError) {
      throw new EventsApiError("InvalidEventPatternException", error.message, { cause: error });
    }
    throw error;
  }
};

const timeOf = (epochSeconds: number | undefined, now: () => Date): Date => {
  if (epochSeconds === undefined) return now();
  const date = new Date(epochSeconds * 1000);
  if (Number.isNaN(date.getTime())) {
    throw new EventsApiError("SerializationException", `Time '${epochSeconds}' is not a timestamp`);
  }
  return date;
};

/** An entry's bus given as a name or as an ARN (`arn:aws:events:region:account:event-bus/name`). */
const busNameOf = (nameOrArn: string | undefined): string => {
  if (!nameOrArn) return DEFAULT_BUS;
  const arnBus = /^arn:[^:]+:events:[^:]*:[^:]*:event-bus\/(.+)$/.exec(nameOrArn);
  return arnBus?.[1] ?? nameOrArn;
};

const jsonAnswer = (body: unknown): EdgeResponse => ({
  status: 200,
  headers: { "content-type": "application/x-amz-json-1.1" },
  body: JSON.stringify(body),
});

export interface EventBridgeApiOptions {
  bus: EventBusEngine;
  /** What the buses' resource policies keep to some principals; without any, every source is open. */
  reservedSources?: readonly ReservedSource[];
  /** The account reported in envelopes and ARNs. */
  accountId?: string;
  now?: () => Date;
}

type Action = (input: unknown, request: EdgeRequest) => Promise<object>;

/**
 * EventBridge on the local edge, in the AWS JSON 1.1 protocol as `@aws-sdk/client-eventbridge` and the
 * AWS CLI speak it: PutEvents with AWS's limits and per-entry errors, TestEventPattern, and enough of the
 * bus API (DescribeEventBus, ListEventBuses) for tools to see the buses. Bad input is answered with the
 * error AWS gives; the handler never throws.
 */
export const createEventBridgeApi = ({
  bus,
  accountId = LOCAL_ACCOUNT_ID,
  reservedSources = [],
  now = () => new Date(),
}: EventBridgeApiOptions): ServiceHandler => {
  const busArn = (region: string, name: string) => `arn:aws:events:${region}:${accountId}:event-bus/${name}`;

  /** Why the caller may not put an entry of `source` on the bus, or `undefined` when it may. */
  const refusalOfSource = (
    source: string,
    eventBusName: string,
    { principal, region }: EdgeRequest,
  ): EntryFailure | undefined => {
    if (source.startsWith(AWS_SOURCE_PREFIX)) return notAuthorizedForSource;
    const denied = reservedSources.some(
      (reserved) =>
        reserved.busName === eventBusName &&
        source.startsWith(reserved.sourcePrefix) &&
        !reserved.principals.includes(principal.arn),
    );
    return denied ? deniedByBusPolicy(principal.arn, busArn(region, eventBusName)) : undefined;
  };

  const putEvents: Action = async (input, request) => {
    const { region } = request;
    const { Entries: entries } = parseInput(PutEventsInputSchema, input);
    if (entries === undefined) throw absentMembersError({ entries });
    checkEntryCount(entries);
    if (entries.reduce((total, entry) => total + entrySizeOf(entry), 0) > MAX_ENTRIES_BYTES) {
      throw validationError("Total size of the entries in the request is over the limit.");
    }

    const results: ({ EventId: string } | EntryFailure)[] = [];
    const accepted: { event: AcceptedEvent; position: number }[] = [];
    entries.forEach((entry, position) => {
      const checked = checkEntry(entry);
      if (!checked.ok) {
        results.push(checked.failure);
        return;
      }
      const eventBusName = busNameOf(entry.EventBusName);
      const refusal = refusalOfSource(checked.source, eventBusName, request);
      if (refusal) {
        results.push(refusal);
        return;
      }
      const event = newBusEvent({
        source: checked.source,
        detailType: checked.detailType,
        detail: checked.detail,
        region,
        resources: entry.Resources ?? [],
        time: timeOf(entry.Time, now),
        account: accountId,
      });
      results.push({ EventId: event.id });
      if (bus.busNames.includes(eventBusName)) {
        accepted.push({ event: { eventBusName, event }, position });
      } else {
        // AWS answers an event for a bus that does not exist with an EventId and then drops it.
        console.warn(
          `[events] PutEvents to unknown bus '${eventBusName}': event ${event.id} dropped, as AWS does`,
        );
      }
    });

    if (accepted.length > 0) {
      try {
        await bus.accept(accepted.map(({ event }) => event));
      } catch (error) {
        console.error("[events] the bus could not record accepted events", error);
        for (const { position } of accepted) {
          results[position] = {
            ErrorCode: "InternalFailure",
            ErrorMessage: "The event could not be recorded on the local bus; retry it.",
          };
        }
      }
    }
    return {
      FailedEntryCount: results.filter((result) => "ErrorCode" in result).length,
      Entries: results,
    };
  };

  const testEventPattern: Action = async (input) => {
    const { EventPattern: patternText, Event: eventText } = parseInput(TestEventPatternInputSchema, input);
    if (patternText === undefined || eventText === undefined) {
      throw absentMembersError({ eventPattern: patternText, event: eventText });
    }

    const pattern = patternOf(patternText);
    const event = parseJson(eventText);
    if (!event.ok || !isPlainObject(event.value)) throw validationError("Parameter Event is not valid.");
    const envelope = event.value;
    if (REQUIRED_TEST_EVENT_FIELDS.some((field) => !(field in envelope))) {
      throw validationError("Parameter Event is not valid.");
    }
    return { Result: matchesEventPattern(pattern, envelope) };
  };

  const describeEventBus: Action = async (input, { region }) => {
    const name = busNameOf(parseInput(DescribeEventBusInputSchema, input).Name);
    if (!bus.busNames.includes(name)) {
      throw new EventsApiError("ResourceNotFoundException", `Event bus ${name} does not exist.`);
    }
    return { Name: name, Arn: busArn(region, name) };
  };

  const listEventBuses: Action = async (input, { region }) => {
    const { NamePrefix: prefix = "" } = parseInput(ListEventBusesInputSchema, input);
    return {
      EventBuses: bus.busNames
        .filter((name) => name.startsWith(prefix))
        .map((name) => ({ Name: name, Arn: busArn(region, name) })),
    };
  };

  const actions = new Map<string, Action>([
    [`${TARGET_PREFIX}PutEvents`, putEvents],
    [`${TARGET_PREFIX}TestEventPattern`, testEventPattern],
    [`${TARGET_PREFIX}DescribeEventBus`, describeEventBus],
    [`${TARGET_PREFIX}ListEventBuses`, listEventBuses],
  ]);

  const answer = async (request: EdgeRequest): Promise<object> => {
    const target = String(request.headers["x-amz-target"] ?? "");
    const action = actions.get(target);
    if (request.method !== "POST" || !action) {
      throw new EventsApiError(
        "UnknownOperationException",
        `Unknown operation '${target}' (${request.method})`,
      );
    }
    const text = request.body.toString("utf8");
    const input = parseJson(text.trim() === "" ? "{}" : text);
    if (!input.ok || !isPlainObject(input.value)) {
      throw new EventsApiError("SerializationException", "The request body is not a JSON object");
    }
    return action(input.value, request);
  };

  return async (request) => {
    try {
      return jsonAnswer(await answer(request));
    } catch (error) {
      if (error instanceof EventsApiError) return jsonError(400, error.type, error.message);
      console.error("[events] request failed", error);
      return jsonError(500, "InternalException", "The local EventBridge failed to process the request");
    }
  };
};
