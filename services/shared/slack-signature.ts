import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Slack's request signing (https://api.slack.com/authentication/verifying-requests-from-slack): `v0=`
 * and the hex HMAC-SHA256, under the app's signing secret, of `v0:<timestamp>:<raw body>`. Checked before
 * anything else reads the request; the local stand-in signs its interactions the same way.
 */

export const SIGNATURE_HEADER = "x-slack-signature";
export const TIMESTAMP_HEADER = "x-slack-request-timestamp";

/** Older requests are refused as replays, as Slack advises. */
export const MAX_REQUEST_AGE_SECONDS = 5 * 60;

/** Over the body's bytes as they came: text is taken as its UTF-8. */
export const signSlackRequest = (
  signingSecret: string,
  timestamp: string,
  rawBody: string | Uint8Array,
): string =>
  `v0=${createHmac("sha256", signingSecret).update(`v0:${timestamp}:`).update(rawBody).digest("hex")}`;

export type SlackSignatureCheck = { valid: true } | { valid: false; problem: string };

/** Whether a request is Slack's: the timestamp within five minutes of `now`, the signature equal in constant time. */
export const verifySlackRequest = ({
  signingSecret,
  timestamp,
  signature,
  rawBody,
  now,
}: {
  signingSecret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  rawBody: string | Uint8Array;
  now: Date;
}): SlackSignatureCheck => {
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp))
    return { valid: false, problem: `${TIMESTAMP_HEADER} is missing or not a number of seconds` };
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > MAX_REQUEST_AGE_SECONDS)
    return { valid: false, problem: `${TIMESTAMP_HEADER} is more than five minutes from now` };
  if (signature === undefined) return { valid: false, problem: `${SIGNATURE_HEADER} is missing` };
  const expected = Buffer.from(signSlackRequest(signingSecret, timestamp, rawBody), "utf8");
  const given = Buffer.from(signature, "utf8");
  const equal = given.length === expected.length && timingSafeEqual(given, expected);
  return equal ? { valid: true } : { valid: false, problem: `${SIGNATURE_HEADER} does not match the body` };
};
