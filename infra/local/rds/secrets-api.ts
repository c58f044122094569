import { isPlainObject } from "../../../events/request-id.ts";
import { type EdgeResponse, jsonError, type ServiceHandler } from "../edge/types.ts";
import type { LocalRds, ManagedSecret } from "./local-rds.ts";

/** The `X-Amz-Target` prefix `@aws-sdk/client-secrets-manager` and the AWS CLI send. */
const TARGET_PREFIX = "secretsmanager.";

const CURRENT_STAGE = "AWSCURRENT";

const jsonAnswer = (body: object): EdgeResponse => ({
  status: 200,
  headers: { "content-type": "application/x-amz-json-1.1" },
  body: JSON.stringify(body),
});

const notFound = () =>
  jsonError(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.");

const epochSeconds = (iso: string) => Date.parse(iso) / 1000;

type Action = (secret: ManagedSecret, input: Record<string, unknown>) => EdgeResponse;

const ACTIONS = new Map<string, Action>([
  [
    "GetSecretValue",
    (secret, input) => {
      // Only the current version exists: RDS's managed secrets are not rotated locally.
      const stage = input.VersionStage ?? CURRENT_STAGE;
      const version = input.VersionId ?? secret.versionId;
      if (stage !== CURRENT_STAGE || version !== secret.versionId) return notFound();
      return jsonAnswer({
        ARN: secret.arn,
        Name: secret.name,
        VersionId: secret.versionId,
        SecretString: secret.secretString,
        VersionStages: [CURRENT_STAGE],
        CreatedDate: epochSeconds(secret.createdAt),
      });
    },
  ],
  [
    "DescribeSecret",
    (secret) =>
      jsonAnswer({
        ARN: secret.arn,
        Name: secret.name,
        Description: "Secret associated with primary RDS DB instance",
        OwningService: "rds",
        CreatedDate: epochSeconds(secret.createdAt),
        LastChangedDate: epochSeconds(secret.createdAt),
        VersionIdsToStages: { [secret.versionId]: [CURRENT_STAGE] },
      }),
  ],
]);

/**
 * Secrets Manager as far as the local RDS needs it: the secrets it made for managed master passwords,
 * read by ARN or name with GetSecretValue and DescribeSecret, in the region of the request. Nothing
 * else of Secrets Manager exists locally; any other operation is refused as unknown.
 */
export const createSecretsManagerApi =
  (rds: LocalRds): ServiceHandler =>
  async (request) => {
    const target = String(request.headers["x-amz-target"] ?? "");
    const action = target.startsWith(TARGET_PREFIX)
      ? ACTIONS.get(target.slice(TARGET_PREFIX.length))
      : undefined;
    if (request.method !== "POST" || !action) {
      return jsonError(400, "UnknownOperationException", `Unknown operation '${target}'`);
    }
    let input: unknown;
    try {
      input = JSON.parse(request.body.toString("utf8") || "{}");
    } catch {
      input = undefined;
    }
    if (!isPlainObject(input))
      return jsonError(400, "SerializationException", "The request body is not a JSON object");
    if (typeof input.SecretId !== "string" || input.SecretId === "") {
      return jsonError(
        400,
        "ValidationException",
        "1 validation error detected: Value at 'secretId' failed to satisfy constraint: Member must not be null",
      );
    }
    const secret = rds.managedSecret(request.region, input.SecretId);
    return secret ? action(secret, input) : notFound();
  };
