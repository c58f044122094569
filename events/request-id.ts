import { createHash } from "node:crypto";
import { requestIdSchema } from "./request.ts";
import { ResourceRequested } from "./resource-requested.ts";

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** JSON with every object's keys sorted, so equal values give equal text whatever their key order. */
export const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, item: unknown) =>
    isPlainObject(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  ) ?? "null";

export const sha256Hex = (text: string): string => createHash("sha256").update(text).digest("hex");

/** 128 bits of the content's hash: identical copies of a request without an id become one request. */
export const deriveRequestId = (content: unknown): string =>
  `req_${sha256Hex(canonicalJson(content)).slice(0, 32)}`;

/** For a refused detail without a usable id: stable across redeliveries of the same event. */
export const requestIdForEvent = (eventId: string): string =>
  `req_${sha256Hex(`event:${eventId}`).slice(0, 32)}`;

/**
 * The id a `ResourceRequested` detail is known by from then on (part of the public contract: a
 * publisher that sends no id can compute it): the given id; else, for a valid detail, one derived from
 * its content; else, for a refused one, one derived from the id of the event that carried it.
 */
export const requestIdOf = (detail: unknown, eventId: string): string => {
  const parsed = ResourceRequested.schema.safeParse(detail);
  if (parsed.success) {
    const { requestId, ...content } = parsed.data;
    return requestId ?? deriveRequestId(content);
  }
  const given = requestIdSchema.safeParse(isPlainObject(detail) ? detail.requestId : undefined);
  return given.success ? given.data : requestIdForEvent(eventId);
};
