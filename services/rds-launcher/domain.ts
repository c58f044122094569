import { createHash } from "node:crypto";
import type { CreateDBInstanceMessage, DeleteDBInstanceMessage, Tag } from "@aws-sdk/client-rds";
import { z } from "zod";
import type { DetailOf } from "../../events/contract.ts";
import { END_ACTIONS, leasedResourceSchema } from "../../events/lease.ts";
import { RDS_IDENTIFIER_SUFFIX_LENGTH, type RdsEngine } from "../../events/rds-resource.ts";
import type { RequestFor } from "../../events/request.ts";
import { RequestApproved } from "../../events/request-approved.ts";
import { DEPLOYMENT_TAG_KEY } from "../shared/deployment-tag.ts";
import { launcherLeaseSchemasOf } from "../shared/release-checks.ts";

/** An approval of an RDS request: the only kind the launcher's subscription lets through. */
export type RdsApproval = DetailOf<typeof RequestApproved> & { request: RequestFor<"rds"> };

/** `RequestApproved` as the launcher reads it: an approval of another resource type is refused, not launched. */
export const rdsApprovalSchema = RequestApproved.schema.pipe(
  z.custom<RdsApproval>(
    (approval) => (approval as DetailOf<typeof RequestApproved>).request.resource.type === "rds",
    "must approve an RDS request: the rds-launcher creates nothing else",
  ),
);

export interface CreationSettings {
  /** The stack's own region: where a request that names none is created. */
  homeRegion: string;
  /** The DB subnet group new instances go in; absent means the default VPC's. */
  dbSubnetGroupName?: string;
  /** The VPC security groups new instances get; empty means the VPC's default group. */
  dbSecurityGroupIds: string[];
  /** DEPLOYMENT_NAME, the value of the deployment's tag on what it creates. */
  deploymentName: string;
}

export const regionOf = (request: RequestFor<"rds">, settings: CreationSettings): string =>
  request.region ?? settings.homeRegion;

/**
 * The DB instance identifier of a request: its name, `-`, and 8 hex characters of a hash of its id.
 * Derived, never random, so a retry after a crash asks for the same identifier and finds its own
 * instance; hashed, because a request id may hold capitals and underscores, which RDS refuses.
 */
export const dbInstanceIdentifierOf = (request: RequestFor<"rds">): string => {
  const suffix = createHash("sha256")
    .update(request.requestId)
    .digest("hex")
    .slice(0, RDS_IDENTIFIER_SUFFIX_LENGTH - 1);
  // Lower-case throughout, as RDS stores it: the name's rules allow no capitals, and hex has none.
  return `${request.resource.name}-${suffix}`;
};

/**
 * The master user each engine's instance is created with. Its password is never ours to know: RDS
 * generates it and keeps it in Secrets Manager (`ManageMasterUserPassword`), where the requester reads
 * it. `postgres` and `admin` are the names RDS's own console suggests.
 */
export const MASTER_USERNAMES: Record<RdsEngine, string> = { postgres: "postgres", mysql: "admin" };

/** Tag keys put on every DB instance created for a request (and, by CopyTagsToSnapshot, its snapshots). */
export const CREATION_TAG_KEYS = {
  requestId: "RequestId",
  requester: "Requester",
  approver: "Approver",
  name: "Name",
  deployment: DEPLOYMENT_TAG_KEY,
} as const;

export const creationTagsOf = (
  request: RequestFor<"rds">,
  approver: string,
  deploymentName: string,
): Tag[] => [
  { Key: CREATION_TAG_KEYS.requestId, Value: request.requestId },
  { Key: CREATION_TAG_KEYS.requester, Value: request.requester.email },
  { Key: CREATION_TAG_KEYS.approver, Value: approver },
  { Key: CREATION_TAG_KEYS.name, Value: request.resource.name },
  { Key: CREATION_TAG_KEYS.deployment, Value: deploymentName },
];

/**
 * The one CreateDBInstance call for an approved request: encrypted, private, its password managed by
 * RDS, deletable (the requester's, not ours, to protect), tagged with the request it belongs to.
 */
export const buildCreateDbInstanceInput = (
  request: RequestFor<"rds">,
  approver: string,
  settings: CreationSettings,
): CreateDBInstanceMessage => {
  const { resource } = request;
  return {
    DBInstanceIdentifier: dbInstanceIdentifierOf(request),
    Engine: resource.engine,
    ...(resource.engineVersion && { EngineVersion: resource.engineVersion }),
    DBInstanceClass: resource.instanceClass,
    AllocatedStorage: resource.allocatedStorageGiB,
    StorageType: resource.storageType,
    MultiAZ: resource.multiAz,
    ...(resource.databaseName && { DBName: resource.databaseName }),
    BackupRetentionPeriod: resource.backupRetentionDays,
    MasterUsername: MASTER_USERNAMES[resource.engine],
    ManageMasterUserPassword: true,
    StorageEncrypted: true,
    PubliclyAccessible: false,
    CopyTagsToSnapshot: true,
    DeletionProtection: false,
    ...(settings.dbSubnetGroupName && { DBSubnetGroupName: settings.dbSubnetGroupName }),
    ...(settings.dbSecurityGroupIds.length > 0 && { VpcSecurityGroupIds: settings.dbSecurityGroupIds }),
    Tags: creationTagsOf(request, approver, settings.deploymentName),
  };
};

/** An error RDS answered with (its wire code); `code` is absent when the call never got an answer. */
export interface RdsFailure {
  code?: string;
  message: string;
}

/**
 * Codes that say this request can never be created as asked, from CreateDBInstance's documented errors:
 * retrying would only fail the same way. Quotas count here: an operator raises one in days, not in
 * the bus's retries, and the requester is better told at once.
 */
const PERMANENT_ERROR_CODES = new Set([
  "InvalidParameterValue",
  "InvalidParameterCombination",
  "MissingParameter",
  "UnsupportedDBEngineVersion",
  "StorageTypeNotSupported",
  "StorageTypeNotAvailableFault",
  "InstanceQuotaExceeded",
  "StorageQuotaExceeded",
  "DBSubnetGroupNotFoundFault",
  "DBSubnetGroupDoesNotCoverEnoughAZs",
  "DBSecurityGroupNotFound",
  "DBParameterGroupNotFound",
  "OptionGroupNotFoundFault",
  "InvalidSubnet",
  "InvalidVPCNetworkStateFault",
  "NetworkTypeNotSupported",
  "KMSKeyNotAccessibleFault",
  "AuthorizationNotFound",
]);

export type CreateErrorKind = "permanent" | "retryable";

/**
 * Permanent errors fail the request at once. Everything else is retried: throttling, capacity, RDS's
 * 5xx, network trouble, and codes not known here (credentials, permissions), which an operator fixes
 * and redrives from the dead-letter queue rather than failing the request for good.
 */
export const classifyCreateError = ({ code }: RdsFailure): CreateErrorKind =>
  code !== undefined && PERMANENT_ERROR_CODES.has(code) ? "permanent" : "retryable";

export const createRefusalReason = ({ code, message }: RdsFailure): string =>
  `RDS refused to create the DB instance (${code ?? "no error code"}): ${message}`;

export const identifierTakenReason = (identifier: string): string =>
  `The DB instance identifier ${identifier} is taken by a DB instance that was not created for this request: choose another name`;

/**
 * The `aws.rds` event categories that can settle a creation: `creation` (created), `failure` (it went
 * into a failed or incompatible state) and `deletion` (deleted before it was ever available).
 */
export const SETTLING_EVENT_CATEGORIES = ["creation", "failure", "deletion"] as const;

/**
 * The statuses of an instance the requester can connect to: available, or busy with a task that leaves
 * it open (the first backup RDS takes right after creating it, above all).
 */
const USABLE_STATUSES = new Set([
  "available",
  "backing-up",
  "configuring-enhanced-monitoring",
  "configuring-iam-database-auth",
  "configuring-log-exports",
  "storage-optimization",
]);

/** The statuses a new instance ends in when its creation failed, or when it is being deleted. */
const FAILED_STATUSES = new Set([
  "failed",
  "incompatible-create",
  "incompatible-network",
  "incompatible-option-group",
  "incompatible-parameters",
  "incompatible-restore",
  "insufficient-capacity",
  "inaccessible-encryption-credentials",
  "restore-error",
  "storage-full",
  "delete-precheck",
  "deleting",
]);

export type CreationOutcome = "provisioned" | "failed";

/** What a described status means for a creation; undefined while it is still on its way (creating, ...). */
export const outcomeOfStatus = (status: string): CreationOutcome | undefined => {
  if (USABLE_STATUSES.has(status)) return "provisioned";
  if (FAILED_STATUSES.has(status)) return "failed";
  return undefined;
};

export const failedCreationReason = (identifier: string, status: string, eventMessage?: string): string =>
  `DB instance ${identifier} ended ${status} before it was ever available${eventMessage ? `: ${eventMessage}` : ""}`;

export const vanishedReason = (identifier: string): string =>
  `DB instance ${identifier} no longer exists: it was deleted before it was ever available`;

/**
 * How long after RDS accepted a creation the sweeper first checks on it: RDS's events settle almost
 * every creation before then (one takes minutes), so the sweeper asks RDS only about those whose
 * event was lost, and then at each of its runs until they settle.
 */
export const CREATION_CHECK_DELAY_MS = 20 * 60 * 1000;

/** The leased resource of an RDS request: the subscriptions route only these here. */
export const rdsLeasedResourceSchema = leasedResourceSchema.options[1];
export type LeasedDbInstance = z.output<typeof rdsLeasedResourceSchema>;

/**
 * `LeaseStarted` or `LeaseExtended`, `ReleaseRequested` and the reaper's checks, of a DB instance
 * (services/shared/release-checks.ts).
 */
export const {
  leaseEnd: rdsLeaseChangeSchema,
  release: rdsReleaseSchema,
  check: rdsReleaseCheckSchema,
} = launcherLeaseSchemasOf("rds", rdsLeasedResourceSchema, z.enum(END_ACTIONS.rds));
export type RdsLeaseChange = z.output<typeof rdsLeaseChangeSchema>;
export type RdsRelease = z.output<typeof rdsReleaseSchema>;

/**
 * The final snapshot of a release: the instance's identifier, `-final-` and when the release was asked
 * for, to the second (yyyymmddhhmmss). Derived from the release recorded, so every attempt asks for
 * the same one; a valid snapshot identifier, since the instance's is one and the rest is letters,
 * digits and single hyphens.
 */
export const finalSnapshotIdentifierOf = (dbInstanceIdentifier: string, requestedAt: string): string =>
  `${dbInstanceIdentifier}-final-${new Date(requestedAt).toISOString().replace(/\D/g, "").slice(0, 14)}`;

/**
 * The one DeleteDBInstance of a release: with the final snapshot, keeping the automated backups too,
 * unless the policy said to delete without one.
 */
export const buildDeleteDbInstanceInput = (
  dbInstanceIdentifier: string,
  finalSnapshotIdentifier: string | undefined,
): DeleteDBInstanceMessage =>
  finalSnapshotIdentifier === undefined
    ? { DBInstanceIdentifier: dbInstanceIdentifier, SkipFinalSnapshot: true, DeleteAutomatedBackups: true }
    : {
        DBInstanceIdentifier: dbInstanceIdentifier,
        FinalDBSnapshotIdentifier: finalSnapshotIdentifier,
        DeleteAutomatedBackups: false,
      };

/** The statuses of an instance RDS is deleting: the reaper waits for it to be gone. */
const DELETING_STATUSES = new Set(["delete-precheck", "deleting"]);

export type ReleaseCheckStep = "wait" | "delete-again";

/**
 * What a check of a release does with an instance still there: one being deleted is waited for; any
 * other status means the deletion did not take (or RDS refused it while the instance was busy), so it
 * is asked for again.
 */
export const releaseCheckStepOf = (status: string): ReleaseCheckStep =>
  DELETING_STATUSES.has(status) ? "wait" : "delete-again";

export type DeleteErrorKind = "wait" | "refused" | "retryable";

/**
 * DeleteDBInstance's errors. `InvalidDBInstanceState`: the instance is being deleted already, or busy
 * (a backup, a modification) so that no final snapshot can be taken now; the next check asks again.
 * The refusals will not change by asking again (deletion protection turned on, a snapshot of that
 * name taken, the snapshot quota reached, IAM denying it: an instance without this stack's tag): the
 * reaper keeps looking, and its ReleaseFailed says why.
 * Anything else is retried by the bus.
 */
const DELETE_REFUSAL_CODES = new Set([
  "InvalidParameterCombination",
  "InvalidParameterValue",
  "DBSnapshotAlreadyExists",
  "SnapshotQuotaExceeded",
  "KMSKeyNotAccessibleFault",
  "AccessDenied",
]);

export const classifyDeleteError = ({ code }: RdsFailure): DeleteErrorKind => {
  if (code === "InvalidDBInstanceState") return "wait";
  return code !== undefined && DELETE_REFUSAL_CODES.has(code) ? "refused" : "retryable";
};

export const deleteRefusalReason = ({ code, message }: RdsFailure): string =>
  `RDS refused to delete the DB instance (${code}): ${message}`;

/** Why a release failed: the instance still there after the reaper's last check, and RDS's last refusal. */
export const stillThereProblem = (
  dbInstanceIdentifier: string,
  status: string,
  checks: number,
  refusal?: string,
): string =>
  `DB instance ${dbInstanceIdentifier} is still ${status} after ${checks} ${checks === 1 ? "check" : "checks"}${refusal ? `; ${refusal}` : ""}`;
