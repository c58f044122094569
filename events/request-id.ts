import { createHash } from "node:crypto";
import { type AcceptedRequest, requestIdSchema } from "./request.ts";

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

/**
 * The id a valid `ResourceRequested` detail is known by from then on (part of the public contract: a
 * publisher that sends no id can compute it): the given id, else one derived from its content.
 */
export const requestIdOf = ({
  requestId,
  ...content
}: Omit<AcceptedRequest, "requestId"> & { requestId?: string }): string =>
  requestId ?? deriveRequestId(content);

/** The id a detail names, valid or not, when that id is itself well formed. */
export const givenRequestIdOf = (detail: unknown): string | undefined =>
  requestIdSchema.safeParse(isPlainObject(detail) ? detail.requestId : undefined).data;

/** Begins every refusal's id, and no request's: `ResourceRequested` refuses a requestId with it. */
export const REFUSAL_ID_PREFIX = "refused-";

/**
 * The id a refused `ResourceRequested` is known by: its own, from the id of the event that carried
 * it, never the id its detail named. So a refusal never lands on the timeline of a request someone
 * else named, every redelivery of the event agrees on it, and `refused-` tells an operator what it is.
 */
export const refusalIdOf = (eventId: string): string =>
  `${REFUSAL_ID_PREFIX}${sha256Hex(`refusal:${eventId}`).slice(0, 32)}`;
