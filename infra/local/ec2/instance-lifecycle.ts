import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import { EC2_INSTANCE_STATES } from "../../../events/ec2-state-change.ts";
import { DurableFile } from "../durable-file.ts";
import { FAILING_IMAGE_ID } from "./images.ts";
import {
  Ec2Error,
  type Instance,
  type InstanceStateChange,
  type InstanceStateName,
  instanceSchema,
} from "./resources.ts";

const REPORT_RETRY_MS = 1_000;

export class Ec2StateFileError extends Error {
  override readonly name = "Ec2StateFileError";
}

const stateChangeSchema = z.object({ instanceId: z.string(), state: z.enum(EC2_INSTANCE_STATES) });
type StateChange = z.infer<typeof stateChangeSchema>;

const stateFileSchema = z.object({
  // State files from before regions hold instances without one: those of the stack's region.
  instances: z.array(instanceSchema.extend({ region: instanceSchema.shape.region.optional() })),
  /** State changes not yet reported: kept with the state so that a restart reports them instead of losing them. */
  unreportedStateChanges: z.array(stateChangeSchema),
});
type StateFile = z.infer<typeof stateFileSchema>;

/** Reports a state change; a rejection is logged and the same change reported again later. */
export type StateChangeListener = (
  instanceId: string,
  state: InstanceStateName,
  region: string,
) => void | Promise<void>;

export interface InstanceLifecycleOptions {
  /** The file holding the instances and their state changes not yet reported. */
  statePath: string;
  onStateChange: StateChangeListener;
  /** The stack's own region: that of instances recorded before instances had one. */
  region: string;
  /** How long an instance stays `pending` before it is `running`. */
  bootDelayMs: number;
  /** How long an instance stays `shutting-down` before it is `terminated`. */
  shutdownDelayMs: number;
}

/** Why an instance changed state, as DescribeInstances says it. */
interface StateWhy {
  reason: string;
  stateReason?: Instance["stateReason"];
}

/** EC2's `StateTransitionReason` for a change the caller asked for. */
const userInitiated = () => `User initiated (${new Date().toISOString().slice(0, 19).replace("T", " ")} GMT)`;

/** EC2 refuses the whole call when one of its instances is in a state the action cannot start from. */
const refuseUnless = (
  instances: Instance[],
  states: readonly InstanceStateName[],
  done: "stopped" | "started",
) => {
  const refused = instances.find((instance) => !states.includes(instance.state));
  if (refused) {
    throw new Ec2Error(
      "IncorrectInstanceState",
      `The instance '${refused.instanceId}' is not in a state from which it can be ${done}.`,
    );
  }
};

const loadState = (path: string): StateFile => {
  if (!existsSync(path)) return { instances: [], unreportedStateChanges: [] };
  try {
    return stateFileSchema.parse(JSON.parse(readFileSync(path, "utf8")));
  } catch (error) {
    throw new Ec2StateFileError(`The local EC2 state in ${path} is unreadable`, { cause: error });
  }
};

/**
 * The instances' state machine: moves them through pending -> running, stopping -> stopped and
 * shutting-down -> terminated after short delays, and reports every state change. State is on disk before a change's call returns;
 * after a restart, interrupted transitions resume and changes not yet reported are reported.
 */
export class InstanceLifecycle {
  /** Writes land whole and in order (DurableFile), the last one holding the latest state. */
  private readonly stateFile: DurableFile;
  private readonly instancesById = new Map<string, Instance>();
  private readonly unreportedStateChanges: StateChange[];
  private readonly transitionTimers = new Map<string, NodeJS.Timeout>();
  private readonly onStateChange: StateChangeListener;
  private readonly bootDelayMs: number;
  private readonly shutdownDelayMs: number;
  private reportRetryTimer: NodeJS.Timeout | undefined;
  private reporting = false;
  private closed = false;

  constructor({ statePath, onStateChange, region, bootDelayMs, shutdownDelayMs }: InstanceLifecycleOptions) {
    this.stateFile = new DurableFile(statePath);
    this.onStateChange = onStateChange;
    this.bootDelayMs = bootDelayMs;
    this.shutdownDelayMs = shutdownDelayMs;
    mkdirSync(dirname(statePath), { recursive: true });
    const state = loadState(statePath);
    for (const instance of state.instances)
      this.instancesById.set(instance.instanceId, { ...instance, region: instance.region ?? region });
    this.unreportedStateChanges = state.unreportedStateChanges;
    for (const instance of this.instancesById.values()) this.scheduleTransition(instance);
    void this.reportStateChanges();
  }

  /** Every instance, terminated ones included; only the lifecycle changes them. */
  get instances(): ReadonlyMap<string, Instance> {
    return this.instancesById;
  }

  /** Takes in a new `pending` instance and boots it once it is on disk. */
  async launch(instance: Instance): Promise<void> {
    this.instancesById.set(instance.instanceId, instance);
    this.unreportedStateChanges.push({ instanceId: instance.instanceId, state: "pending" });
    await this.persist();
    this.scheduleTransition(instance);
    void this.reportStateChanges();
  }

  /**
   * Idempotent as on AWS: terminating an instance that is already on its way out changes nothing; a
   * stopped or stopping one is terminated too.
   */
  terminate(instances: Instance[]): Promise<InstanceStateChange[]> {
    return this.changeStates(instances, (instance) =>
      instance.state === "shutting-down" || instance.state === "terminated"
        ? undefined
        : {
            state: "shutting-down",
            reason: userInitiated(),
            stateReason: {
              code: "Client.UserInitiatedShutdown",
              message: "Client.UserInitiatedShutdown: User initiated shutdown",
            },
          },
    );
  }

  /**
   * As on AWS: a running instance goes stopping, then stopped; stopping one that is stopping or stopped
   * changes nothing; one that is pending, or on its way out, cannot be stopped.
   */
  stop(instances: Instance[]): Promise<InstanceStateChange[]> {
    refuseUnless(instances, ["running", "stopping", "stopped"], "stopped");
    return this.changeStates(instances, (instance) =>
      instance.state === "running"
        ? {
            state: "stopping",
            reason: userInitiated(),
            stateReason: {
              code: "Client.UserInitiatedShutdown",
              message: "Client.UserInitiatedShutdown: User initiated shutdown",
            },
          }
        : undefined,
    );
  }

  /** As on AWS: a stopped instance boots again (pending, then running); a running or pending one is left as it is. */
  start(instances: Instance[]): Promise<InstanceStateChange[]> {
    refuseUnless(instances, ["pending", "running", "stopped"], "started");
    return this.changeStates(instances, (instance) =>
      instance.state === "stopped" ? { state: "pending", reason: "" } : undefined,
    );
  }

  /** Puts the tags on the instances, each replacing the value of a key the instance has. */
  async tag(instances: Instance[], tags: Instance["tags"]): Promise<void> {
    for (const instance of instances) {
      for (const tag of tags) {
        const existing = instance.tags.find(({ key }) => key === tag.key);
        if (existing) existing.value = tag.value;
        else instance.tags.push({ ...tag });
      }
    }
    await this.persist();
  }

  /** Stops the lifecycle timers and waits for the state on disk to be complete. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.transitionTimers.values()) clearTimeout(timer);
    this.transitionTimers.clear();
    clearTimeout(this.reportRetryTimer);
    await this.stateFile.settled();
  }

  /** Moves each instance as `next` says (undefined: it stays), then keeps, times and reports the changes. */
  private async changeStates(
    instances: Instance[],
    next: (instance: Instance) => ({ state: InstanceStateName } & StateWhy) | undefined,
  ): Promise<InstanceStateChange[]> {
    const changes = instances.map((instance): InstanceStateChange => {
      const previousState = instance.state;
      const change = next(instance);
      if (change) this.changeState(instance, change.state, change);
      return { instanceId: instance.instanceId, previousState, currentState: instance.state };
    });
    await this.persist();
    for (const instance of instances) this.scheduleTransition(instance);
    void this.reportStateChanges();
    return changes;
  }

  private changeState(instance: Instance, state: InstanceStateName, why: StateWhy) {
    instance.state = state;
    instance.stateChangedAt = new Date().toISOString();
    instance.stateTransitionReason = why.reason;
    instance.stateReason = why.stateReason;
    this.unreportedStateChanges.push({ instanceId: instance.instanceId, state });
  }

  /** Arms the timer of the instance's next automatic state change, counted from when it entered its state. */
  private scheduleTransition(instance: Instance) {
    clearTimeout(this.transitionTimers.get(instance.instanceId));
    this.transitionTimers.delete(instance.instanceId);
    if (this.closed) return;
    const delay =
      instance.state === "pending"
        ? this.bootDelayMs
        : instance.state === "shutting-down" || instance.state === "stopping"
          ? this.shutdownDelayMs
          : undefined;
    if (delay === undefined) return;
    const remaining = Math.max(0, Date.parse(instance.stateChangedAt) + delay - Date.now());
    const timer = setTimeout(() => {
      this.transitionTimers.delete(instance.instanceId);
      this.completeTransition(instance).catch((error: unknown) =>
        console.error(`[local-ec2] state change of ${instance.instanceId} failed`, error),
      );
    }, remaining);
    this.transitionTimers.set(instance.instanceId, timer);
  }

  private async completeTransition(instance: Instance) {
    if (instance.state === "pending" && instance.imageId === FAILING_IMAGE_ID) {
      this.changeState(instance, "terminated", {
        reason: "Server.InternalError",
        stateReason: {
          code: "Server.InternalError",
          message: "Server.InternalError: Internal error on launch",
        },
      });
    } else if (instance.state === "pending") {
      this.changeState(instance, "running", { reason: "" });
    } else if (instance.state === "shutting-down" || instance.state === "stopping") {
      this.changeState(instance, instance.state === "stopping" ? "stopped" : "terminated", {
        reason: instance.stateTransitionReason,
        stateReason: instance.stateReason,
      });
    } else {
      return;
    }
    await this.persist();
    this.scheduleTransition(instance);
    await this.reportStateChanges();
  }

  /**
   * Reports the recorded state changes one at a time, in order, forgetting each only once it was reported;
   * a failure is retried later rather than skipped, so no consumer misses a change.
   */
  private async reportStateChanges() {
    if (this.reporting) return;
    this.reporting = true;
    try {
      for (
        let next = this.unreportedStateChanges[0];
        next && !this.closed;
        next = this.unreportedStateChanges[0]
      ) {
        // Instances are never forgotten, so every change has its instance.
        const { region } = this.instancesById.get(next.instanceId) as Instance;
        await this.onStateChange(next.instanceId, next.state, region);
        this.unreportedStateChanges.shift();
        await this.persist();
      }
    } catch (error) {
      console.error("[local-ec2] reporting a state change failed; retrying", error);
      clearTimeout(this.reportRetryTimer);
      if (!this.closed)
        this.reportRetryTimer = setTimeout(() => void this.reportStateChanges(), REPORT_RETRY_MS);
    } finally {
      this.reporting = false;
    }
  }

  private persist(): Promise<void> {
    const state: StateFile = {
      instances: [...this.instancesById.values()],
      unreportedStateChanges: this.unreportedStateChanges,
    };
    return this.stateFile.write(JSON.stringify(state, null, 2));
  }
}
