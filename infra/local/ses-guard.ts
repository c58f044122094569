import { randomUUID } from "node:crypto";
import type { RequestListener, ServerResponse } from "node:http";
import { isPlainObject } from "../../events/request-id.ts";
import { mediaTypeOf } from "../../services/shared/http.ts";
import { requestUrlOf } from "./edge/delegation.ts";
import type { EdgeRequest, EdgeResponse, ReadRequest } from "./edge/types.ts";
import { xmlText } from "./xml.ts";

/**
 * What stands between callers and aws-ses-v2-local. The library crashes the process on some requests
 * (an unknown message id for the .eml download), never answers others (an SES v1 action it lacks), shows
 * Express's HTML stack trace for a malformed body, and answers its own refusals in a shape no SES client
 * reads. Requests it would mishandle are answered here, as SES would; its refusals are rewritten into
 * SES's error shapes.
 */

/** The SES v1 (Query protocol) actions the library implements. */
const V1_ACTIONS = new Set(["SendEmail", "SendRawEmail"]);
const V2_PATH_PREFIX = "/v2/email/";

type SesProtocol = "query" | "rest-json";

export const queryError = (status: number, code: string, message: string): EdgeResponse => ({
  status,
  headers: { "content-type": "text/xml;charset=UTF-8" },
  body: `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type><Code>${xmlText(code)}</Code><Message>${xmlText(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
});

export const restJsonError = (status: number, type: string, message: string): EdgeResponse => ({
  status,
  headers: { "content-type": "application/json", "x-amzn-errortype": type },
  body: JSON.stringify({ message }),
});

const protocolOf = ({ method, path }: Pick<EdgeRequest, "method" | "path">): SesProtocol | undefined => {
  if (method === "POST" && path === "/") return "query";
  if (path.startsWith(V2_PATH_PREFIX)) return "rest-json";
  return undefined;
};

const FORM_MEDIA_TYPE = "application/x-www-form-urlencoded";

const isJsonText = (body: Buffer) => {
  try {
    JSON.parse(body.toString("utf8"));
    return true;
  } catch {
    return false;
  }
};

/** Refuses, as SES would, an SES API request the library would hang or fail on; `undefined` lets it through. */
const refuseSesApiRequest = (request: ReadRequest, protocol: SesProtocol): EdgeResponse | undefined => {
  if (protocol === "query") {
    // The library reads the form only when it is declared one (a JSON body it reads as JSON), so the
    // Action checked here must come from a body it will read the same way.
    if (mediaTypeOf(request.headers["content-type"]) !== FORM_MEDIA_TYPE) {
      return queryError(400, "MissingAction", `The request must be ${FORM_MEDIA_TYPE} and name its Action`);
    }
    const actions = new URLSearchParams(request.body.toString("utf8")).getAll("Action");
    if (actions.length === 0)
      return queryError(400, "MissingAction", "The request must contain the parameter Action");
    // The library reads a repeated Action as a list, matches no action with it, and never answers.
    if (actions.length > 1) return queryError(400, "InvalidParameterValue", "Action must be given once");
    const [action] = actions as [string];
    if (!V1_ACTIONS.has(action)) {
      return queryError(400, "InvalidAction", `The action ${action} is not valid for this web service`);
    }
    return undefined;
  }
  if (request.body.length > 0 && !isJsonText(request.body)) {
    return restJsonError(400, "BadRequestException", "The request body is not valid JSON");
  }
  return undefined;
};

/** For requests the edge hands over as SES: only SES's own API, never the mailbox viewer's routes. */
export const refuseAsSes = (request: ReadRequest): EdgeResponse | undefined => {
  const protocol = protocolOf(request);
  if (!protocol) {
    return restJsonError(
      404,
      "UnknownOperationException",
      `SES has no operation at ${request.method} ${request.path}`,
    );
  }
  return refuseSesApiRequest(request, protocol);
};

const viewerError = (status: number, message: string): EdgeResponse => ({
  status,
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ message }),
});

/**
 * For requests on the mailbox port: the viewer's page and its routes (checked, since the library
 * answers a bad one twice and crashes), and SES's API, as on the edge.
 */
export const refuseOnMailboxPort =
  (hasEmail: (messageId: string) => boolean) =>
  (request: ReadRequest): EdgeResponse | undefined => {
    const protocol = protocolOf(request);
    if (protocol) return refuseSesApiRequest(request, protocol);
    // Express answers HEAD through the GET routes.
    const route = `${request.method === "HEAD" ? "GET" : request.method} ${request.path}`;
    switch (route) {
      case "GET /":
      case "GET /health-check":
        return undefined;
      case "POST /clear-store":
        return request.body.length === 0 || isJsonText(request.body)
          ? undefined
          : viewerError(400, "The body, if any, must be JSON");
      case "GET /store": {
        const since = request.query.getAll("since");
        if (since.length === 0) return undefined;
        // What the library itself accepts: a number written exactly as it would write it back.
        const [text] = since as [string];
        return since.length === 1 && Number.isSafeInteger(Number(text)) && String(Number(text)) === text
          ? undefined
          : viewerError(400, "since must be one whole number of epoch seconds");
      }
      case "GET /get-emlContent": {
        const messageId = request.query.get("messageId");
        if (!messageId) return viewerError(400, "messageId is required");
        return hasEmail(messageId) ? undefined : viewerError(404, `No email has the id ${messageId}`);
      }
      default:
        return viewerError(404, `The mailbox has nothing at ${route}`);
    }
  };

/**
 * The library's own refusals are `{message, detail}` JSON with no error type: an SES client reads them
 * as an unknown error (v2) or fails to parse them at all (v1). They are rewritten, as the library
 * ends each response, into the protocol's error shape.
 */
const translateRefusals = (response: ServerResponse, protocol: SesProtocol) => {
  const end = response.end.bind(response) as (chunk?: unknown) => ServerResponse;
  response.end = ((chunk?: unknown) => {
    if (response.statusCode < 400 || response.headersSent || response.hasHeader("x-amzn-errortype")) {
      return end(chunk);
    }
    let refusal: unknown;
    try {
      refusal = JSON.parse(String(chunk ?? ""));
    } catch {
      refusal = undefined;
    }
    const text = (key: string) =>
      isPlainObject(refusal) && typeof refusal[key] === "string" ? (refusal[key] as string) : undefined;
    const message = text("detail") ?? text("message") ?? "The request was refused";
    const answer =
      protocol === "query"
        ? queryError(response.statusCode, "InvalidParameterValue", message)
        : restJsonError(
            response.statusCode,
            text("type") ??
              (response.statusCode === 404 ? "UnknownOperationException" : "BadRequestException"),
            message,
          );
    for (const [name, value] of Object.entries(answer.headers)) response.setHeader(name, value);
    response.setHeader("content-length", Buffer.byteLength(answer.body));
    return end(answer.body);
  }) as ServerResponse["end"];
};

/** The library's listener, with its refusals of SES API requests rewritten into SES's error shapes. */
export const withSesErrorShapes =
  (listener: RequestListener): RequestListener =>
  (request, response) => {
    const url = requestUrlOf(request.url);
    const protocol = url && protocolOf({ method: request.method ?? "GET", path: url.pathname });
    if (protocol) translateRefusals(response, protocol);
    listener(request, response);
  };
