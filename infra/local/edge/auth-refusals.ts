import { randomUUID } from "node:crypto";
import { errorAnswer as ec2ErrorAnswer } from "../ec2/ec2-api.ts";
import { s3Error } from "../s3/answers.ts";
import { queryError, restJsonError } from "../ses-guard.ts";
import type { SignatureFault } from "./signature.ts";
import { type EdgeResponse, jsonError, type ReadRequest } from "./types.ts";

/**
 * How each AWS protocol the edge speaks refuses a request it cannot authenticate. Codes, statuses and
 * messages are AWS's: the common errors of each API reference (IncompleteSignature, MissingAuthenticationToken,
 * InvalidClientTokenId, RequestExpired) and what the services answer in practice, e.g. DynamoDB's and
 * EventBridge's `InvalidSignatureException: Signature expired: ... (... - 15 min.)`.
 */
type Protocol = "aws-json" | "rest-json" | "ec2-query" | "query" | "rest-xml";

interface Refusal {
  status: number;
  code: string;
  message: string;
}

const MISMATCH_MESSAGE =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret " +
  "Access Key and signing method. Consult the service documentation for details.";
/**
 * AWS's answer to a signature whose SignedHeaders leave out the host: DynamoDB's 400
 * `InvalidSignatureException`, the same words as `SignatureDoesNotMatch` in the Query protocol.
 */
const UNSIGNED_HOST_MESSAGE = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.";
const UNKNOWN_KEY_MESSAGE = "The security token included in the request is invalid.";
const PRESIGNED_MESSAGE =
  "The local edge verifies SigV4 signatures in the Authorization header only: presigned (query string) " +
  "requests are not supported";
const MISSING_MESSAGE = "Missing Authentication Token";

/** JSON protocols (JSON 1.0/1.1 and REST-JSON) name their errors alike; REST-JSON answers them with 403. */
const jsonRefusal = (fault: SignatureFault, status: number): Refusal => {
  switch (fault.reason) {
    case "missing":
      return { status: 403, code: "MissingAuthenticationTokenException", message: MISSING_MESSAGE };
    case "presigned":
      return { status: 403, code: "MissingAuthenticationTokenException", message: PRESIGNED_MESSAGE };
    case "incomplete":
      return { status, code: "IncompleteSignatureException", message: fault.message };
    case "unknown-key":
      return { status, code: "UnrecognizedClientException", message: UNKNOWN_KEY_MESSAGE };
    case "mismatch":
      return { status, code: "InvalidSignatureException", message: MISMATCH_MESSAGE };
    case "unsigned-host":
      return { status, code: "InvalidSignatureException", message: UNSIGNED_HOST_MESSAGE };
    case "expired":
      return { status, code: "InvalidSignatureException", message: fault.message };
  }
};

/** The Query protocol's common errors; EC2 differs in two: `AuthFailure` and `RequestExpired`. */
const queryRefusal = (fault: SignatureFault, ec2: boolean): Refusal => {
  switch (fault.reason) {
    case "missing":
      return { status: 403, code: "MissingAuthenticationToken", message: MISSING_MESSAGE };
    case "presigned":
      return { status: 403, code: "MissingAuthenticationToken", message: PRESIGNED_MESSAGE };
    case "incomplete":
      return { status: 400, code: "IncompleteSignature", message: fault.message };
    case "unknown-key":
      return ec2
        ? {
            status: 401,
            code: "AuthFailure",
            message: "AWS was not able to validate the provided access credentials",
          }
        : { status: 403, code: "InvalidClientTokenId", message: UNKNOWN_KEY_MESSAGE };
    case "mismatch":
      return { status: 403, code: "SignatureDoesNotMatch", message: MISMATCH_MESSAGE };
    case "unsigned-host":
      return { status: 403, code: "SignatureDoesNotMatch", message: UNSIGNED_HOST_MESSAGE };
    case "expired":
      return ec2
        ? { status: 400, code: "RequestExpired", message: "Request has expired." }
        : { status: 403, code: "SignatureDoesNotMatch", message: fault.message };
  }
};

/** S3's own codes, all answered as `<Error>` documents (S3 reads an unsigned request as anonymous). */
const s3Refusal = (fault: SignatureFault): Refusal => {
  switch (fault.reason) {
    case "missing":
      return { status: 403, code: "AccessDenied", message: "Access Denied" };
    case "presigned":
      return { status: 403, code: "AccessDenied", message: PRESIGNED_MESSAGE };
    case "incomplete":
      return { status: 400, code: "AuthorizationHeaderMalformed", message: fault.message };
    case "unknown-key":
      return {
        status: 403,
        code: "InvalidAccessKeyId",
        message: "The AWS Access Key Id you provided does not exist in our records.",
      };
    case "mismatch":
      return { status: 403, code: "SignatureDoesNotMatch", message: MISMATCH_MESSAGE };
    case "unsigned-host":
      return { status: 403, code: "SignatureDoesNotMatch", message: UNSIGNED_HOST_MESSAGE };
    case "expired":
      return { status: 403, code: "RequestTimeTooSkewed", message: fault.message };
  }
};

/** The protocol of a request, by the service of its credential scope (SES speaks two, told by path). */
const protocolOf = (service: string, request: Pick<ReadRequest, "method" | "path">): Protocol => {
  if (service === "ec2") return "ec2-query";
  if (service === "rds") return "query";
  if (service === "s3") return "rest-xml";
  if (service === "scheduler") return "rest-json";
  if (service === "ses" || service === "email") {
    return request.method === "POST" && request.path === "/" ? "query" : "rest-json";
  }
  return "aws-json";
};

/**
 * The answer AWS gives, in the request's own protocol, to a signed request no policy allows: each API's
 * access-denied error (EC2's `UnauthorizedOperation`, the Query protocol's `AccessDenied`).
 */
export const accessRefusal = (
  principalArn: string,
  service: string,
  request: Pick<ReadRequest, "method" | "path">,
): EdgeResponse => {
  const message = `User: ${principalArn} is not authorized to call ${service} at the local edge: only the stack's services are`;
  switch (protocolOf(service, request)) {
    case "aws-json":
      return jsonError(400, "AccessDeniedException", message);
    case "rest-json":
      return restJsonError(403, "AccessDeniedException", message);
    case "ec2-query":
      return ec2ErrorAnswer(403, randomUUID(), "UnauthorizedOperation", message);
    case "query":
      return queryError(403, "AccessDenied", message);
    case "rest-xml":
      return s3Error(403, "AccessDenied", message);
  }
};

/** The answer AWS gives, in the request's own protocol, to a request whose signature it refuses. */
export const signatureRefusal = (
  fault: SignatureFault,
  service: string,
  request: Pick<ReadRequest, "method" | "path">,
): EdgeResponse => {
  switch (protocolOf(service, request)) {
    case "aws-json": {
      const { status, code, message } = jsonRefusal(fault, 400);
      return jsonError(status, code, message);
    }
    case "rest-json": {
      const { status, code, message } = jsonRefusal(fault, 403);
      return restJsonError(status, code, message);
    }
    case "ec2-query": {
      const { status, code, message } = queryRefusal(fault, true);
      return ec2ErrorAnswer(status, randomUUID(), code, message);
    }
    case "query": {
      const { status, code, message } = queryRefusal(fault, false);
      return queryError(status, code, message);
    }
    case "rest-xml": {
      const { status, code, message } = s3Refusal(fault);
      return s3Error(status, code, message);
    }
  }
};
