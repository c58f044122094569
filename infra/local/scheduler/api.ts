import { isPlainObject } from "../../../events/request-id.ts";
import type { EdgeRequest, EdgeResponse, ServiceHandler } from "../edge/types.ts";
import { SCHEDULER_ERROR_STATUS, SchedulerApiError, type SchedulerErrorType } from "./errors.ts";
import { readGroupInput, readMaxResults, readScheduleAddress, readScheduleInput } from "./input.ts";
import type { LocalScheduler } from "./scheduler.ts";
import type { GroupRecord, ScheduleRecord } from "./store.ts";

/** REST-JSON answers: the output as JSON, timestamps as epoch seconds. */
const jsonAnswer = (body: object): EdgeResponse => ({
  status: 200,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

/** Scheduler's errors carry their text as `Message` (its error shapes' member), the type in a header. */
const errorAnswer = (type: SchedulerErrorType, message: string): EdgeResponse => ({
  status: SCHEDULER_ERROR_STATUS[type],
  headers: { "content-type": "application/json", "x-amzn-errortype": type },
  body: JSON.stringify({ Message: message }),
});

const seconds = (epochMs: number | undefined) => (epochMs === undefined ? undefined : epochMs / 1000);

const scheduleOutput = (record: ScheduleRecord) => ({
  Arn: record.arn,
  GroupName: record.groupName,
  Name: record.name,
  ScheduleExpression: record.expression,
  ScheduleExpressionTimezone: record.timezone,
  StartDate: seconds(record.startDate),
  EndDate: seconds(record.endDate),
  Description: record.description,
  State: record.state,
  CreationDate: seconds(record.creationDate),
  LastModificationDate: seconds(record.lastModificationDate),
  KmsKeyArn: record.kmsKeyArn,
  Target: record.target,
  FlexibleTimeWindow: record.flexibleTimeWindow,
  ActionAfterCompletion: record.actionAfterCompletion,
});

const scheduleSummary = (record: ScheduleRecord) => ({
  Arn: record.arn,
  Name: record.name,
  GroupName: record.groupName,
  State: record.state,
  CreationDate: seconds(record.creationDate),
  LastModificationDate: seconds(record.lastModificationDate),
  Target: { Arn: record.target.Arn },
});

const groupOutput = (group: Pick<GroupRecord, "name" | "arn"> & Partial<GroupRecord>) => ({
  Arn: group.arn,
  Name: group.name,
  State: "ACTIVE",
  CreationDate: seconds(group.creationDate),
  LastModificationDate: seconds(group.lastModificationDate),
});

/** One page of a listing, resumed after the item whose key the NextToken carries. */
const page = <T>(items: T[], keyOf: (item: T) => string, query: URLSearchParams) => {
  const maxResults = readMaxResults(query);
  const after = query.get("NextToken");
  const start =
    after === null ? 0 : items.findIndex((item) => keyOf(item) > Buffer.from(after, "base64url").toString());
  const chosen = start < 0 ? [] : items.slice(start, start + maxResults);
  const last = chosen.at(-1);
  const more = start >= 0 && start + maxResults < items.length && last !== undefined;
  return { items: chosen, nextToken: more ? Buffer.from(keyOf(last)).toString("base64url") : undefined };
};

const bodyOf = (request: EdgeRequest): unknown => {
  const text = request.body.toString("utf8");
  if (text.trim() === "") return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!isPlainObject(body)) {
    throw new SchedulerApiError("SerializationException", "The request body is not a JSON object");
  }
  return body;
};

/** A name from the path; one that does not decode is no name Scheduler would accept. */
const nameOf = (segment: string): string => {
  try {
    return decodeURIComponent(segment);
  } catch (cause) {
    throw new SchedulerApiError("ValidationException", `'${segment}' is not a valid name`, { cause });
  }
};

const SCHEDULE_PATH = /^\/schedules\/([^/]+)$/;
const GROUP_PATH = /^\/schedule-groups\/([^/]+)$/;

/**
 * EventBridge Scheduler on the local edge, in the REST-JSON protocol `@aws-sdk/client-scheduler` speaks:
 * the schedule calls (create, get, update, delete, list) and the group calls a stack needs (create,
 * get, list). Refusals carry AWS's error names and wording; the handler never throws.
 */
export const createSchedulerApi = (scheduler: LocalScheduler): ServiceHandler => {
  const answer = async (request: EdgeRequest): Promise<object> => {
    const { method, path, query, region } = request;
    const scheduleName = SCHEDULE_PATH.exec(path)?.[1];
    if (scheduleName !== undefined) {
      const name = nameOf(scheduleName);
      switch (method) {
        case "POST":
        case "PUT": {
          const input = readScheduleInput(name, bodyOf(request), region, Date.now());
          const call = { ...input, name, region, callerArn: request.principal.arn };
          const arn =
            method === "POST" ? await scheduler.createSchedule(call) : await scheduler.updateSchedule(call);
          return { ScheduleArn: arn };
        }
        case "GET": {
          const { groupName } = readScheduleAddress(name, query);
          return scheduleOutput(scheduler.getSchedule(groupName, name));
        }
        case "DELETE": {
          const { groupName, clientToken } = readScheduleAddress(name, query);
          await scheduler.deleteSchedule(groupName, name, clientToken);
          return {};
        }
      }
    }
    if (path === "/schedules" && method === "GET") {
      const schedules = scheduler.listSchedules({
        groupName: query.get("ScheduleGroup") ?? undefined,
        namePrefix: query.get("NamePrefix") ?? undefined,
        state: query.get("State") ?? undefined,
      });
      const { items, nextToken } = page(schedules, (record) => `${record.groupName}/${record.name}`, query);
      return { Schedules: items.map(scheduleSummary), NextToken: nextToken };
    }
    const groupName = GROUP_PATH.exec(path)?.[1];
    if (groupName !== undefined) {
      const name = nameOf(groupName);
      if (method === "POST") {
        const { clientToken } = readGroupInput(name, bodyOf(request));
        return { ScheduleGroupArn: await scheduler.createGroup(name, region, clientToken) };
      }
      if (method === "GET") return groupOutput(scheduler.getGroup(name));
    }
    if (path === "/schedule-groups" && method === "GET") {
      const groups = scheduler.listGroups(query.get("NamePrefix") ?? undefined);
      const { items, nextToken } = page(groups, (group) => group.name, query);
      return { ScheduleGroups: items.map(groupOutput), NextToken: nextToken };
    }
    throw new SchedulerApiError(
      "UnknownOperationException",
      `The local Scheduler has no operation at ${method} ${path}`,
    );
  };

  return async (request) => {
    try {
      return jsonAnswer(await answer(request));
    } catch (error) {
      if (error instanceof SchedulerApiError) return errorAnswer(error.type, error.message);
      console.error("[scheduler] request failed", error);
      return errorAnswer("InternalServerException", "The local Scheduler failed to process the request");
    }
  };
};
