import type { Server } from "node:http";
import { isPlainObject } from "../../events/request-id.ts";
import { requestListenerOf } from "./edge/delegation.ts";
import { type DelegatedService, jsonError } from "./edge/types.ts";

/**
 * dynalite behind the edge. It reads fields off the parsed body without checking that it is an object,
 * so a body of `null` would throw inside its request handler and take the whole process down; any
 * JSON body that is not an object gets AWS's SerializationException here instead. A body that is not
 * JSON at all, dynalite answers itself, as AWS does.
 */
export const dynamoDbService = (dynalite: Server): DelegatedService => ({
  listener: requestListenerOf(dynalite),
  refuse: ({ body }) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch {
      return undefined;
    }
    return isPlainObject(parsed)
      ? undefined
      : jsonError(400, "SerializationException", "The request body must be a JSON object");
  },
});
