import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { IncomingHttpHeaders } from "node:http";
import { join } from "node:path";
import { z } from "zod";
import { LOCAL_ACCOUNT_ID } from "../eventbridge/types.ts";
import { outsidersMayCall, type S3RequestLine, s3OperationOf } from "../s3/operations.ts";
import { readOrCreateSecretFile } from "../secret-file.ts";

/** Someone the edge knows: the access key they sign with, its secret, and who they are, as an IAM ARN. */
export interface Principal {
  readonly arn: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * What any client outside the stack signs with: the credentials the README documents. Public by design,
 * so they earn only what AWS grants a principal of the account (never the stack's own sources).
 */
export const OUTSIDE_PRINCIPAL: Principal = {
  arn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:user/local`,
  accessKeyId: "local",
  secretAccessKey: "local",
};

/** The stack's own services, as the CDK app's function roles are on AWS. */
export const SERVICES_ROLE_ARN = `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/approvals-services`;

/** The Secrets Manager operations an outside principal may call: reading, never changing. */
const SECRET_READINGS = new Set(["secretsmanager.GetSecretValue", "secretsmanager.DescribeSecret"]);

/**
 * What a principal may call at the edge, as IAM would allow it: the stack's services everything, an outside
 * principal only EventBridge (publishing, where the bus's rules on sources still apply), S3's objects
 * and readings (as a requester with a bucket the stack made for them; see outsidersMayCall) and reading
 * the secrets RDS manages master passwords in (the requester's way to their database's password). The
 * tables, the mail, the instances and the databases' control plane are the stack's, as they are behind
 * the function roles on AWS.
 */
export const mayCall = (
  principal: Principal,
  service: string,
  // Not edge/types.ts's ReadRequest, which names Principal from here: the two would import each other.
  request: S3RequestLine & { headers: IncomingHttpHeaders },
): boolean =>
  principal.arn === SERVICES_ROLE_ARN ||
  service === "events" ||
  (service === "s3" && outsidersMayCall(s3OperationOf(request))) ||
  (service === "secretsmanager" && SECRET_READINGS.has(String(request.headers["x-amz-target"])));

/** Under DATA_DIR: the services' access key and secret, made on the first start, readable by its owner alone. */
export const SERVICE_CREDENTIALS_FILE = "service-credentials.json";

export class ServiceCredentialsError extends Error {
  override readonly name = "ServiceCredentialsError";
}

const ServiceCredentialsSchema = z.object({
  accessKeyId: z.string().regex(/^AKIA[A-Z2-7]{16}$/),
  secretAccessKey: z.string().min(40),
});

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** An access key id shaped as IAM's own: `AKIA` and 16 characters of base32. */
const newAccessKeyId = () =>
  `AKIA${Array.from(randomBytes(16), (byte) => BASE32[byte % BASE32.length]).join("")}`;

const newServiceCredentials = () =>
  JSON.stringify(
    { accessKeyId: newAccessKeyId(), secretAccessKey: randomBytes(30).toString("base64") },
    null,
    2,
  );

const principalFrom = (file: string, text: string): Principal => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ServiceCredentialsError(`${file} is not JSON: delete it to have new credentials made`, {
      cause,
    });
  }
  const credentials = ServiceCredentialsSchema.safeParse(parsed);
  if (!credentials.success) {
    throw new ServiceCredentialsError(
      `${file} does not hold an access key id and secret: delete it to have new ones made`,
      { cause: credentials.error },
    );
  }
  return { arn: SERVICES_ROLE_ARN, ...credentials.data };
};

/** The services' principal of this data directory: the same credentials on every start, made on the first. */
export const servicesPrincipal = async (dataDir: string): Promise<Principal> => {
  const file = join(dataDir, SERVICE_CREDENTIALS_FILE);
  return principalFrom(file, await readOrCreateSecretFile(file, newServiceCredentials));
};

/** The services' principal of a data directory a stack has started with, for the operator's tools. */
export const existingServicesPrincipal = async (dataDir: string): Promise<Principal> => {
  const file = join(dataDir, SERVICE_CREDENTIALS_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new ServiceCredentialsError(
      `No stack credentials at ${file}: start the stack with \`npm start\` first, or set DATA_DIR to its data directory`,
      { cause },
    );
  }
  return principalFrom(file, text);
};
