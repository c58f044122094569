import { randomUUID } from "node:crypto";
import type { EdgeResponse } from "../edge/types.ts";
import { XML_DECLARATION } from "../query-protocol.ts";
import { xmlText } from "../xml.ts";

export const S3_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/";

/** S3 names each answer with `x-amz-request-id` (and `x-amz-id-2`), where the JSON services use `x-amzn-requestid`. */
const requestIdHeaders = () => {
  const id = randomUUID();
  return { "x-amz-request-id": id, "x-amz-id-2": id };
};

/** An S3 error as S3 answers it: `<Error><Code/><Message/>...</Error>`, or bare headers for a HEAD. */
export const s3Error = (
  status: number,
  code: string,
  message: string,
  details: Record<string, string> = {},
  headers: Record<string, string> = {},
): EdgeResponse => {
  const ids = requestIdHeaders();
  const detailXml = Object.entries(details)
    .map(([name, value]) => `<${name}>${xmlText(value)}</${name}>`)
    .join("");
  return {
    status,
    headers: { "content-type": "application/xml", ...ids, ...headers },
    body: `${XML_DECLARATION}<Error><Code>${xmlText(code)}</Code><Message>${xmlText(message)}</Message>${detailXml}<RequestId>${ids["x-amz-request-id"]}</RequestId></Error>`,
  };
};

/** A success: an XML document when there is a body, empty otherwise. */
export const s3Answer = (
  status: number,
  xml?: string,
  headers: Record<string, string> = {},
  contentType = "application/xml",
): EdgeResponse => ({
  status,
  headers: {
    ...requestIdHeaders(),
    ...(xml === undefined ? {} : { "content-type": contentType }),
    ...headers,
  },
  body: xml === undefined ? "" : contentType === "application/xml" ? `${XML_DECLARATION}${xml}` : xml,
});

/** HEAD answers carry no body: S3 says what went wrong only by the status. */
export const withoutBody = (answer: EdgeResponse): EdgeResponse => ({ ...answer, body: "" });

export const noSuchBucket = (bucket: string) =>
  s3Error(404, "NoSuchBucket", "The specified bucket does not exist", { BucketName: bucket });

export const malformedXml = () =>
  s3Error(
    400,
    "MalformedXML",
    "The XML you provided was not well-formed or did not validate against our published schema",
  );
