import type { Server } from "node:http";
import { isPlainObject } from "../../events/request-id.ts";
import { requestListenerOf } from "./edge/delegation.ts";
import { type DelegatedService, jsonError } from "./edge/types.ts";
import { nestsDeeperThan } from "./json-depth.ts";

/**
 * DynamoDB nests attribute values at most 32 levels deep; each level is two levels of the request's
 * JSON (`{"M": {"name": ...}}`), below a few levels of request structure.
 */
const MAX_BODY_NESTING = 2 * 32 + 8;

/**
 * dynalite behind the edge. Two bodies would throw inside its request handler and take the whole
 * process down: one that is JSON but not an object (it reads fields off it unchecked), and one nested
 * deeper than DynamoDB allows (its type checks recurse until the stack overflows). Both get AWS's
 * answer here instead. A body that is not JSON at all, dynalite answers itself, as AWS does.
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
    if (!isPlainObject(parsed)) {
      return jsonError(400, "SerializationException", "The request body must be a JSON object");
    }
    return nestsDeeperThan(parsed, MAX_BODY_NESTING)
      ? jsonError(400, "ValidationException", "Nesting Levels have exceeded supported limits")
      : undefined;
  },
});
