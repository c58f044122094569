import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, vi } from "vitest";
import { type InstanceStateName, LocalEc2, type LocalEc2Options } from "../local-ec2.ts";
import type { RunInstancesInput } from "../resources.ts";

export const IMAGE_ID = "ami-0123456789abcdef0";

/** The region of the tests' calls, and the stack's own, where instances from before regions belong. */
export const REGION = "us-east-1";

export const launch = (overrides: Partial<RunInstancesInput> = {}): RunInstancesInput => ({
  imageId: IMAGE_ID,
  minCount: 1,
  maxCount: 1,
  ...overrides,
});

export const launchedId = async (ec2: LocalEc2, input = launch(), region = REGION) => {
  const reservation = await ec2.runInstances(region, input);
  return reservation.instances[0]?.instanceId as string;
};

export const stateOf = (ec2: LocalEc2, instanceId: string) =>
  ec2.describeInstances(REGION, { instanceIds: [instanceId] })[0]?.instances[0]?.state;

/**
 * Gives every test of the calling file a fresh data directory, and LocalEc2s on it that record the state
 * changes they report; after the test they are closed and the directory is removed.
 */
export const useLocalEc2 = () => {
  let dataDir = "";
  const opened: LocalEc2[] = [];

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "local-ec2-"));
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await Promise.all(opened.splice(0).map((ec2) => ec2.close()));
    await rm(dataDir, { recursive: true, force: true });
  });

  const openEc2 = (options: Partial<LocalEc2Options> = {}) => {
    const changes: [string, InstanceStateName, string][] = [];
    const ec2 = new LocalEc2({
      dataDir,
      region: REGION,
      bootDelayMs: 20,
      shutdownDelayMs: 20,
      onStateChange: (instanceId, state, region) => {
        changes.push([instanceId, state, region]);
      },
      ...options,
    });
    opened.push(ec2);
    return { ec2, changes };
  };

  return { openEc2, dataDir: () => dataDir };
};
