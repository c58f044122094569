import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { RDS_EVENT_IDS, RdsDbInstanceEvent } from "../../../events/rds-instance-event.ts";
import { DurableFile } from "../durable-file.ts";
import {
  type CreateDbInstanceInput,
  checkTags,
  type DbInstance,
  type DbSnapshot,
  dbInstanceNotFound,
  dbInstanceSchema,
  dbSnapshotNotFound,
  dbSnapshotSchema,
  defaultPortOf,
  finalSnapshotOf,
  finalSnapshotRecordOf,
  identifierOfArn,
  mergeTags,
  newDbInstance,
  RdsError,
  secretNameOf,
  type Tag,
} from "./db-instance.ts";
import { type RunningPostgres, startPostgres } from "./postgres-server.ts";

const REPORT_RETRY_MS = 1_000;

export class RdsStateFileError extends Error {
  override readonly name = "RdsStateFileError";
}

export type RdsEventDetail = z.infer<typeof RdsDbInstanceEvent.schema>;

/** An event of AWS's "RDS DB Instance Event" list, in the region of its instance. */
export interface RdsEvent {
  region: string;
  detail: RdsEventDetail;
}

/** Reports an event; a rejection is logged and the same event reported again later. */
export type RdsEventListener = (event: RdsEvent) => Promise<void>;

const secretSchema = z.object({
  arn: z.string(),
  name: z.string(),
  region: z.string(),
  versionId: z.string(),
  secretString: z.string(),
  createdAt: z.string(),
});
export type ManagedSecret = z.infer<typeof secretSchema>;

const stateFileSchema = z.object({
  instances: z.array(dbInstanceSchema),
  /** Managed master passwords: the file is readable by its owner alone. */
  secrets: z.array(secretSchema),
  /** Events not yet reported: kept with the state so that a restart reports them instead of losing them. */
  unreportedEvents: z.array(z.object({ region: z.string(), detail: RdsDbInstanceEvent.schema })),
  /** Final snapshots of deleted instances; a state file from before them has none. */
  snapshots: z.array(dbSnapshotSchema).default([]),
});
type StateFile = z.infer<typeof stateFileSchema>;

const loadState = (path: string): StateFile => {
  if (!existsSync(path)) return { instances: [], secrets: [], unreportedEvents: [], snapshots: [] };
  try {
    return stateFileSchema.parse(JSON.parse(readFileSync(path, "utf8")));
  } catch (error) {
    throw new RdsStateFileError(`The local RDS state in ${path} is unreadable`, { cause: error });
  }
};

/** AWS's events for the steps it reports (its "Amazon RDS event categories and event messages"). */
const EVENTS = {
  created: { category: "creation", id: RDS_EVENT_IDS.created, message: "DB instance created" },
  deleted: { category: "deletion", id: RDS_EVENT_IDS.deleted, message: "DB instance deleted" },
  // Locally only its engine failing to start fails an instance, an event AWS has no ID of its own for.
  failed: { category: "failure", id: undefined, message: "DB instance failed" },
} as const;

export interface LocalRdsOptions {
  /** State lives in `<dataDir>/rds/state.json`, each PostgreSQL under `<dataDir>/rds/<region>/<identifier>`. */
  dataDir: string;
  /** Where the PostgreSQL servers listen (the stack's HOST). */
  host: string;
  onEvent: RdsEventListener;
  /** How long an instance stays `creating` before its engine starts and it is `available`. */
  createDelayMs?: number;
  /** How long an instance stays `deleting` before it is gone. */
  deleteDelayMs?: number;
}

const keyOf = (region: string, identifier: string) => `${region}/${identifier}`;

/**
 * The local stand-in for the RDS control plane: DB instances per region, moved `creating` -> `available`
 * and `deleting` -> gone after short delays, reported with AWS's events. A `postgres` instance is a real
 * PostgreSQL (PGlite) listening on its endpoint; a `mysql` one is state only: its endpoint is recorded
 * with MySQL's port, but nothing listens there. State is on disk before a call returns; after a restart,
 * interrupted transitions resume, servers of available instances start again and unreported events are
 * reported.
 */
export class LocalRds {
  private readonly rdsDir: string;
  /** Readable by its owner alone: it holds the managed master passwords. */
  private readonly stateFile: DurableFile;
  private readonly host: string;
  private readonly onEvent: RdsEventListener;
  private readonly createDelayMs: number;
  private readonly deleteDelayMs: number;
  private readonly instances = new Map<string, DbInstance>();
  private readonly secrets = new Map<string, ManagedSecret>();
  private readonly unreportedEvents: RdsEvent[];
  private readonly snapshots: DbSnapshot[];
  private readonly servers = new Map<string, Promise<RunningPostgres | undefined>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private reportRetryTimer: NodeJS.Timeout | undefined;
  private reporting = false;
  private closed = false;

  private constructor({
    dataDir,
    host,
    onEvent,
    createDelayMs = 3_000,
    deleteDelayMs = 1_000,
  }: LocalRdsOptions) {
    this.rdsDir = join(dataDir, "rds");
    const statePath = join(this.rdsDir, "state.json");
    this.stateFile = new DurableFile(statePath, 0o600);
    this.host = host;
    this.onEvent = onEvent;
    this.createDelayMs = createDelayMs;
    this.deleteDelayMs = deleteDelayMs;
    mkdirSync(this.rdsDir, { recursive: true });
    const state = loadState(statePath);
    for (const instance of state.instances)
      this.instances.set(keyOf(instance.region, instance.identifier), instance);
    for (const secret of state.secrets) this.secrets.set(secret.arn, secret);
    this.unreportedEvents = state.unreportedEvents;
    this.snapshots = state.snapshots;
  }

  /** Loads the state, starts the servers of available instances again and resumes interrupted transitions. */
  static async open(options: LocalRdsOptions): Promise<LocalRds> {
    const rds = new LocalRds(options);
    await Promise.all(
      [...rds.instances.values()]
        .filter((instance) => instance.status === "available")
        .map((instance) => rds.restartEngine(instance)),
    );
    for (const instance of rds.instances.values()) rds.scheduleTransition(instance);
    void rds.reportEvents();
    return rds;
  }

  async createDbInstance(region: string, input: CreateDbInstanceInput): Promise<DbInstance> {
    const instance = newDbInstance(region, input);
    const key = keyOf(region, instance.identifier);
    if (this.instances.has(key)) {
      throw new RdsError("DBInstanceAlreadyExists", "DB instance already exists");
    }
    this.instances.set(key, instance);
    if (instance.masterUserSecretArn) {
      const arn = instance.masterUserSecretArn;
      this.secrets.set(arn, {
        arn,
        name: secretNameOf(arn),
        region,
        versionId: randomUUID(),
        secretString: JSON.stringify({
          username: instance.masterUsername,
          password: randomBytes(24).toString("base64url"),
        }),
        createdAt: instance.statusChangedAt,
      });
    }
    await this.persist();
    this.scheduleTransition(instance);
    return structuredClone(instance);
  }

  /** The instances of `region`, or those named (by identifier or ARN); one named and missing is DBInstanceNotFound. */
  describeDbInstances(
    region: string,
    { identifier, filters = [] }: { identifier?: string; filters?: { name: string; values: string[] }[] },
  ): DbInstance[] {
    for (const filter of filters) {
      if (!DB_INSTANCE_FILTERS.has(filter.name)) {
        throw new RdsError("InvalidParameterValue", `Unrecognized filter name: ${filter.name}`);
      }
    }
    const candidates =
      identifier !== undefined
        ? [
            this.existing(
              region,
              identifier.startsWith("arn:") ? identifierOfArn(region, identifier) : identifier,
            ),
          ]
        : [...this.instances.values()].filter((instance) => instance.region === region);
    return candidates
      .filter((instance) => filters.every((filter) => matches(instance, filter)))
      .map((instance) => structuredClone(instance));
  }

  async deleteDbInstance(
    region: string,
    identifier: string,
    options: { skipFinalSnapshot?: boolean; finalSnapshotIdentifier?: string },
  ): Promise<DbInstance> {
    const instance = this.existing(region, identifier);
    const snapshot = finalSnapshotOf(instance, options);
    const taken = this.snapshots.some(
      (existing) => existing.region === region && existing.identifier === snapshot,
    );
    if (snapshot !== undefined && (taken || existsSync(this.snapshotDir(region, snapshot)))) {
      throw new RdsError(
        "DBSnapshotAlreadyExists",
        `Cannot create the snapshot because a snapshot with the identifier ${snapshot} already exists.`,
      );
    }
    this.changeStatus(instance, "deleting");
    instance.finalSnapshotIdentifier = snapshot;
    await this.persist();
    this.scheduleTransition(instance);
    return structuredClone(instance);
  }

  /** The final snapshots of `region`, or the one named (missing: DBSnapshotNotFound), or those of an instance. */
  describeDbSnapshots(
    region: string,
    { identifier, dbInstanceIdentifier }: { identifier?: string; dbInstanceIdentifier?: string },
  ): DbSnapshot[] {
    const found = this.snapshots.filter(
      (snapshot) =>
        snapshot.region === region &&
        (identifier === undefined || snapshot.identifier === identifier.toLowerCase()) &&
        (dbInstanceIdentifier === undefined ||
          snapshot.dbInstanceIdentifier === dbInstanceIdentifier.toLowerCase()),
    );
    if (identifier !== undefined && found.length === 0) throw dbSnapshotNotFound(identifier);
    return structuredClone(found);
  }

  listTags(region: string, resourceName: string): Tag[] {
    return structuredClone(this.existing(region, identifierOfArn(region, resourceName)).tags);
  }

  async addTags(region: string, resourceName: string, tags: { key?: string; value?: string }[]) {
    const instance = this.existing(region, identifierOfArn(region, resourceName));
    instance.tags = mergeTags(instance.tags, checkTags(tags));
    await this.persist();
  }

  async removeTags(region: string, resourceName: string, keys: string[]) {
    const instance = this.existing(region, identifierOfArn(region, resourceName));
    instance.tags = instance.tags.filter((tag) => !keys.includes(tag.key));
    await this.persist();
  }

  /** A secret RDS manages a master password in, by ARN or name, in `region`. */
  managedSecret(region: string, secretId: string): ManagedSecret | undefined {
    return [...this.secrets.values()].find(
      (secret) => secret.region === region && (secret.arn === secretId || secret.name === secretId),
    );
  }

  /** Stops the timers and the servers, and waits for the state on disk to be complete. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    clearTimeout(this.reportRetryTimer);
    const servers = [...this.servers.values()];
    this.servers.clear();
    await Promise.all(servers.map(async (server) => (await server)?.close()));
    await this.stateFile.settled();
  }

  private existing(region: string, identifier: string): DbInstance {
    const instance = this.instances.get(keyOf(region, identifier.toLowerCase()));
    if (!instance) throw dbInstanceNotFound(identifier);
    return instance;
  }

  private dataDirOf(instance: DbInstance) {
    return join(this.rdsDir, instance.region, instance.identifier);
  }

  private snapshotDir(region: string, snapshot: string) {
    return join(this.rdsDir, region, "snapshots", snapshot);
  }

  private changeStatus(instance: DbInstance, status: DbInstance["status"]) {
    instance.status = status;
    instance.statusChangedAt = new Date().toISOString();
  }

  private queueEvent(instance: DbInstance, kind: keyof typeof EVENTS, message?: string) {
    const event = EVENTS[kind];
    this.unreportedEvents.push({
      region: instance.region,
      detail: {
        EventCategories: [event.category],
        SourceType: "DB_INSTANCE",
        SourceArn: instance.arn,
        SourceIdentifier: instance.identifier,
        Date: new Date().toISOString(),
        Message: message ?? event.message,
        EventID: event.id,
      },
    });
  }

  /** Arms the timer of the instance's next automatic step, counted from when it entered its status. */
  private scheduleTransition(instance: DbInstance) {
    const key = keyOf(instance.region, instance.identifier);
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    if (this.closed) return;
    const delay =
      instance.status === "creating"
        ? this.createDelayMs
        : instance.status === "deleting"
          ? this.deleteDelayMs
          : undefined;
    if (delay === undefined) return;
    const remaining = Math.max(0, Date.parse(instance.statusChangedAt) + delay - Date.now());
    const timer = setTimeout(() => {
      this.timers.delete(key);
      const step = instance.status === "creating" ? this.becomeAvailable(instance) : this.remove(instance);
      step.catch((error: unknown) =>
        console.error(`[local-rds] the ${instance.status} step of ${key} failed`, error),
      );
    }, remaining);
    this.timers.set(key, timer);
  }

  /** Starts the engine, if it is one that runs locally, and records the endpoint it listens on. */
  private startEngine(instance: DbInstance): Promise<RunningPostgres | undefined> {
    const key = keyOf(instance.region, instance.identifier);
    const server =
      instance.engine === "postgres"
        ? startPostgres({
            dataDir: this.dataDirOf(instance),
            databaseName: instance.dbName,
            host: this.host,
            preferredPort: instance.endpoint?.port,
          })
        : Promise.resolve(undefined);
    this.servers.set(key, server);
    // A server that never started has nothing to stop: its failure is handled where it is awaited.
    server.catch(() => this.servers.get(key) === server && this.servers.delete(key));
    return server;
  }

  private endpointOf(instance: DbInstance, server: RunningPostgres | undefined) {
    const address = this.host === "0.0.0.0" || this.host === "::" ? "localhost" : this.host;
    return { address, port: server?.port ?? defaultPortOf(instance.engine) };
  }

  private async becomeAvailable(instance: DbInstance) {
    let server: RunningPostgres | undefined;
    try {
      await mkdir(this.dataDirOf(instance), { recursive: true });
      server = await this.startEngine(instance);
    } catch (error) {
      if (instance.status !== "creating" || this.closed) return;
      console.error(`[local-rds] ${instance.identifier} failed to start`, error);
      this.changeStatus(instance, "failed");
      instance.failure = String(error instanceof Error && error.cause ? error.cause : error);
      this.queueEvent(instance, "failed", `DB instance failed: ${instance.failure}`);
      await this.persist();
      await this.reportEvents();
      return;
    }
    // Deleted while its engine started, the deletion stops the server; stopped, the stack closed it, and
    // the next start finishes the creation.
    if (instance.status !== "creating" || this.closed) return;
    this.changeStatus(instance, "available");
    instance.createdAt = instance.statusChangedAt;
    instance.endpoint = this.endpointOf(instance, server);
    this.queueEvent(instance, "created");
    await this.persist();
    await this.reportEvents();
  }

  private async restartEngine(instance: DbInstance) {
    try {
      const server = await this.startEngine(instance);
      const endpoint = this.endpointOf(instance, server);
      if (endpoint.port !== instance.endpoint?.port || endpoint.address !== instance.endpoint.address) {
        instance.endpoint = endpoint;
        await this.persist();
      }
    } catch (error) {
      console.error(`[local-rds] ${instance.identifier} could not start again; it stays listed`, error);
    }
  }

  /**
   * Stops the engine and forgets the instance. Its data goes with it, unless a final snapshot was asked
   * for: then the data directory is kept, whole, as the snapshot (there is no restoring from it locally).
   */
  private async remove(instance: DbInstance) {
    const key = keyOf(instance.region, instance.identifier);
    const server = this.servers.get(key);
    this.servers.delete(key);
    await (await server?.catch(() => undefined))?.close();
    const dataDir = this.dataDirOf(instance);
    if (instance.finalSnapshotIdentifier !== undefined && existsSync(dataDir)) {
      const snapshotDir = this.snapshotDir(instance.region, instance.finalSnapshotIdentifier);
      await mkdir(join(snapshotDir, ".."), { recursive: true });
      await rename(dataDir, snapshotDir);
    } else {
      await rm(dataDir, { recursive: true, force: true });
    }
    const snapshot = instance.finalSnapshotIdentifier;
    if (
      snapshot !== undefined &&
      !this.snapshots.some((taken) => taken.region === instance.region && taken.identifier === snapshot)
    ) {
      this.snapshots.push(finalSnapshotRecordOf(instance, snapshot, new Date()));
    }
    // RDS deletes the secret it managed the master password in along with the instance.
    if (instance.masterUserSecretArn) this.secrets.delete(instance.masterUserSecretArn);
    this.instances.delete(key);
    this.queueEvent(instance, "deleted");
    await this.persist();
    await this.reportEvents();
  }

  /**
   * Reports the queued events one at a time, in order, forgetting each only once it was reported; a
   * failure is retried later rather than skipped, so no consumer misses one.
   */
  private async reportEvents() {
    if (this.reporting) return;
    this.reporting = true;
    try {
      for (let next = this.unreportedEvents[0]; next && !this.closed; next = this.unreportedEvents[0]) {
        await this.onEvent(next);
        this.unreportedEvents.shift();
        await this.persist();
      }
    } catch (error) {
      console.error("[local-rds] reporting an event failed; retrying", error);
      clearTimeout(this.reportRetryTimer);
      if (!this.closed) this.reportRetryTimer = setTimeout(() => void this.reportEvents(), REPORT_RETRY_MS);
    } finally {
      this.reporting = false;
    }
  }

  /** Writes the state as it is now; DurableFile keeps the writes in order, the last holding the latest. */
  private persist(): Promise<void> {
    const state: StateFile = {
      instances: [...this.instances.values()],
      secrets: [...this.secrets.values()],
      unreportedEvents: this.unreportedEvents,
      snapshots: this.snapshots,
    };
    return this.stateFile.write(JSON.stringify(state, null, 2));
  }
}

/** The DescribeDBInstances filters the launcher and operators use. */
const DB_INSTANCE_FILTERS = new Map<string, (instance: DbInstance) => string[]>([
  // Identifiers are stored lower-case and matched whatever their case; ARNs as written.
  ["db-instance-id", (instance) => [instance.identifier, instance.arn]],
  ["dbi-resource-id", (instance) => [instance.resourceId]],
  ["engine", (instance) => [instance.engine]],
]);

const matches = (instance: DbInstance, { name, values }: { name: string; values: string[] }) => {
  const own = DB_INSTANCE_FILTERS.get(name)?.(instance) ?? [];
  return values.some((value) => own.includes(value) || own.includes(value.toLowerCase()));
};
