import { randomInt } from "node:crypto";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { LOCAL_ACCOUNT_ID } from "../eventbridge/types.ts";
import {
  type AttachedVolume,
  checkFilters,
  INSTANCE_FILTERS,
  matchesFilters,
  VOLUME_FILTERS,
} from "./filters.ts";
import { InstanceLifecycle, type StateChangeListener } from "./instance-lifecycle.ts";
import { prepareLaunch } from "./launch-request.ts";
import {
  Ec2Error,
  type Filter,
  type Instance,
  type InstanceStateChange,
  newId,
  type Reservation,
  type RunInstancesInput,
  type Tag,
} from "./resources.ts";

// What the rest of local mode and its tests use besides LocalEc2.
export { FAILING_IMAGE_ID, localImageIdOf } from "./images.ts";
export type { InstanceStateName } from "./resources.ts";

const INSTANCE_ID = /^i-[0-9a-f]{8}([0-9a-f]{9})?$/;
const VOLUME_ID = /^vol-[0-9a-f]{8}([0-9a-f]{9})?$/;

export interface LocalEc2Options {
  /** State lives in `<dataDir>/ec2/state.json`. */
  dataDir: string;
  /** The stack's own region: instances recorded before instances had a region belong to it. */
  region: string;
  onStateChange: StateChangeListener;
  /** How long an instance stays `pending` before it is `running`. */
  bootDelayMs?: number;
  /** How long an instance stays `shutting-down` before it is `terminated`. */
  shutdownDelayMs?: number;
}

const notFound = (code: string, kind: string, ids: string[]) =>
  new Ec2Error(
    code,
    ids.length === 1
      ? `The ${kind} ID '${ids[0]}' does not exist`
      : `The ${kind} IDs '${ids.join(", ")}' do not exist`,
  );

const checkIds = (ids: string[], pattern: RegExp, malformedCode: string) => {
  const malformed = ids.find((id) => !pattern.test(id));
  if (malformed !== undefined) throw new Ec2Error(malformedCode, `Invalid id: "${malformed}"`);
};

/**
 * The local stand-in for EC2: launches, describes, tags, stops, starts and terminates instances the way
 * AWS answers; its
 * InstanceLifecycle moves them through their states, reports every change and keeps them on disk. Each
 * call is made in a region, as each AWS call is: an instance belongs to the region it was launched in,
 * and no other region's calls see it.
 */
export class LocalEc2 {
  private readonly lifecycle: InstanceLifecycle;

  constructor({
    dataDir,
    region,
    onStateChange,
    bootDelayMs = 2_000,
    shutdownDelayMs = 1_000,
  }: LocalEc2Options) {
    this.lifecycle = new InstanceLifecycle({
      statePath: join(dataDir, "ec2", "state.json"),
      onStateChange,
      region,
      bootDelayMs,
      shutdownDelayMs,
    });
  }

  async runInstances(region: string, input: RunInstancesInput): Promise<Reservation> {
    const { imageId, rootDeviceName, instanceType, metadataOptions, tags, volumes, now } = prepareLaunch(
      input,
      region,
    );
    const { clientToken } = input;

    const { clientToken: _, ...launchParameters } = input;
    const canonicalParameters: unknown = JSON.parse(JSON.stringify(launchParameters));
    if (clientToken !== undefined) {
      // A ClientToken is unique within its region only.
      const earlier = this.instancesIn(region).find((instance) => instance.clientToken === clientToken);
      if (earlier) {
        if (!isDeepStrictEqual(earlier.launchParameters, canonicalParameters)) {
          throw new Ec2Error(
            "IdempotentParameterMismatch",
            "Arguments on this idempotent request are inconsistent with arguments used in previous request(s).",
          );
        }
        return this.reservationOf(earlier);
      }
    }

    const instance: Instance = {
      instanceId: newId("i"),
      region,
      reservationId: newId("r"),
      imageId,
      instanceType,
      subnetId: input.subnetId,
      privateIpAddress: this.privateIpFor(region, input.subnetId, input.privateIpAddress),
      launchTime: now,
      state: "pending",
      stateChangedAt: now,
      stateTransitionReason: "",
      clientToken,
      launchParameters: canonicalParameters,
      tags: tags.instance,
      rootDeviceName,
      volumes,
      metadataOptions,
    };
    await this.lifecycle.launch(instance);
    return this.reservationOf(instance);
  }

  describeInstances(
    region: string,
    { instanceIds = [], filters = [] }: { instanceIds?: string[]; filters?: Filter[] } = {},
  ) {
    checkIds(instanceIds, INSTANCE_ID, "InvalidInstanceID.Malformed");
    checkFilters(filters, INSTANCE_FILTERS);
    const candidates =
      instanceIds.length > 0 ? this.existingInstances(region, instanceIds) : this.instancesIn(region);
    return candidates
      .filter((instance) => matchesFilters(instance, filters, INSTANCE_FILTERS))
      .map((instance) => this.reservationOf(instance));
  }

  /** Volumes of instances not yet terminated: like AWS's launch volumes, they are deleted on termination. */
  describeVolumes(
    region: string,
    {
      volumeIds = [],
      filters = [],
    }: {
      volumeIds?: string[];
      filters?: Filter[];
    } = {},
  ): AttachedVolume[] {
    checkIds(volumeIds, VOLUME_ID, "InvalidVolumeID.Malformed");
    checkFilters(filters, VOLUME_FILTERS);
    const volumes = this.instancesIn(region)
      .filter((instance) => instance.state !== "terminated")
      .flatMap((instance) =>
        instance.volumes.map((volume) => ({ ...structuredClone(volume), instanceId: instance.instanceId })),
      );
    const missing = volumeIds.filter((id) => !volumes.some((volume) => volume.volumeId === id));
    if (missing.length > 0) throw notFound("InvalidVolume.NotFound", "volume", missing);
    return volumes
      .filter((volume) => volumeIds.length === 0 || volumeIds.includes(volume.volumeId))
      .filter((volume) => matchesFilters(volume, filters, VOLUME_FILTERS));
  }

  /** Idempotent as on AWS: terminating an instance that is already on its way out changes nothing. */
  async terminateInstances(region: string, instanceIds: string[]): Promise<InstanceStateChange[]> {
    checkIds(instanceIds, INSTANCE_ID, "InvalidInstanceID.Malformed");
    return this.lifecycle.terminate(this.existingInstances(region, instanceIds));
  }

  /** As on AWS: stopping a stopped or stopping instance changes nothing; a pending or ended one is refused. */
  async stopInstances(region: string, instanceIds: string[]): Promise<InstanceStateChange[]> {
    checkIds(instanceIds, INSTANCE_ID, "InvalidInstanceID.Malformed");
    return this.lifecycle.stop(this.existingInstances(region, instanceIds));
  }

  /** As on AWS: a stopped instance boots again; starting a pending or running one changes nothing. */
  async startInstances(region: string, instanceIds: string[]): Promise<InstanceStateChange[]> {
    checkIds(instanceIds, INSTANCE_ID, "InvalidInstanceID.Malformed");
    return this.lifecycle.start(this.existingInstances(region, instanceIds));
  }

  /** Tags instances (the only resources tagged after their launch here), replacing a key's value. */
  async createTags(region: string, resourceIds: string[], tags: Tag[]): Promise<void> {
    checkIds(resourceIds, INSTANCE_ID, "InvalidID");
    await this.lifecycle.tag(this.existingInstances(region, resourceIds), tags);
  }

  /** Stops the lifecycle timers and waits for the state on disk to be complete. */
  close(): Promise<void> {
    return this.lifecycle.close();
  }

  private instancesIn(region: string): Instance[] {
    return [...this.lifecycle.instances.values()].filter((instance) => instance.region === region);
  }

  /** The instances of these ids in the region: another region's are as unknown as ids never launched. */
  private existingInstances(region: string, instanceIds: string[]): Instance[] {
    const missing = instanceIds.filter((id) => this.lifecycle.instances.get(id)?.region !== region);
    if (missing.length > 0) throw notFound("InvalidInstanceID.NotFound", "instance", missing);
    return [...new Set(instanceIds)].map((id) => this.lifecycle.instances.get(id) as Instance);
  }

  private reservationOf(instance: Instance): Reservation {
    return {
      reservationId: instance.reservationId,
      ownerId: LOCAL_ACCOUNT_ID,
      instances: [structuredClone(instance)],
    };
  }

  /** An address free in the subnet; a subnet is of one region, so the same id in another is another subnet. */
  private privateIpFor(region: string, subnetId: string | undefined, requested: string | undefined): string {
    const inUse = new Set(
      this.instancesIn(region)
        .filter((instance) => instance.state !== "terminated" && instance.subnetId === subnetId)
        .map((instance) => instance.privateIpAddress),
    );
    if (requested !== undefined) {
      if (inUse.has(requested))
        throw new Ec2Error("InvalidIPAddress.InUse", `Address ${requested} is in use.`);
      return requested;
    }
    for (;;) {
      // AWS reserves the first four addresses and the last one of every subnet.
      const address = `10.0.${randomInt(0, 256)}.${randomInt(4, 255)}`;
      if (!inUse.has(address)) return address;
    }
  }
}
