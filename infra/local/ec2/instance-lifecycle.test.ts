import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { waitUntil } from "../../../test/support/wait.ts";
import { FAILING_IMAGE_ID } from "./images.ts";
import { Ec2StateFileError } from "./instance-lifecycle.ts";
import type { InstanceStateName } from "./resources.ts";
import { launch, launchedId, REGION, stateOf, useLocalEc2 } from "./testing/local-ec2.ts";

const { openEc2, dataDir } = useLocalEc2();

describe("LocalEc2 lifecycle", () => {
  it("takes an instance of the failing image from pending straight to terminated, with AWS's reason", async () => {
    const { ec2, changes } = openEc2();

    const instanceId = await launchedId(ec2, launch({ imageId: FAILING_IMAGE_ID }));

    await waitUntil(() => expect(changes).toHaveLength(2));
    expect(changes).toEqual([
      [instanceId, "pending", REGION],
      [instanceId, "terminated", REGION],
    ]);
    expect(
      ec2.describeInstances(REGION, { instanceIds: [instanceId] })[0]?.instances[0]?.stateReason,
    ).toEqual({
      code: "Server.InternalError",
      message: "Server.InternalError: Internal error on launch",
    });
  });

  it("terminates a pending instance without it ever running", async () => {
    const { ec2, changes } = openEc2({ bootDelayMs: 60_000 });
    const instanceId = await launchedId(ec2);

    const [change] = await ec2.terminateInstances(REGION, [instanceId]);

    expect(change).toEqual({ instanceId, previousState: "pending", currentState: "shutting-down" });
    await waitUntil(() => expect(stateOf(ec2, instanceId)).toBe("terminated"));
    await waitUntil(() => expect(changes).toHaveLength(3));
    expect(changes.map(([, state]) => state)).toEqual(["pending", "shutting-down", "terminated"]);
  });

  it("answers a second termination with the current state and reports nothing new", async () => {
    const { ec2, changes } = openEc2();
    const instanceId = await launchedId(ec2);
    await ec2.terminateInstances(REGION, [instanceId]);
    await waitUntil(() => expect(changes.at(-1)).toEqual([instanceId, "terminated", REGION]));
    const reported = changes.length;

    const [change] = await ec2.terminateInstances(REGION, [instanceId]);

    expect(change).toEqual({ instanceId, previousState: "terminated", currentState: "terminated" });
    expect(changes).toHaveLength(reported);
  });

  it("keeps reporting a change until the listener accepts it, without skipping or reordering", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    let runningRefused = false;
    const accepted: InstanceStateName[] = [];
    const { ec2 } = openEc2({
      onStateChange: (_, state) => {
        if (state === "running" && !runningRefused) {
          runningRefused = true;
          throw new Error("bus unavailable");
        }
        accepted.push(state);
      },
    });

    await launchedId(ec2);

    await waitUntil(() => expect(accepted).toEqual(["pending", "running"]));
  });

  it("after a restart, reports the changes the previous run recorded but could not report", async () => {
    const first = openEc2({ onStateChange: () => new Promise<void>(() => undefined) });
    const instanceId = await launchedId(first.ec2);
    await first.ec2.close();

    const { changes } = openEc2();

    await waitUntil(() =>
      expect(changes).toEqual([
        [instanceId, "pending", REGION],
        [instanceId, "running", REGION],
      ]),
    );
  });
});

describe("LocalEc2 stops and starts", () => {
  it("takes a stopped instance through stopping to stopped, and a started one through pending to running, reporting each", async () => {
    const { ec2, changes } = openEc2();
    const instanceId = await launchedId(ec2);
    await waitUntil(() => expect(stateOf(ec2, instanceId)).toBe("running"));

    await ec2.stopInstances(REGION, [instanceId]);
    await waitUntil(() => expect(stateOf(ec2, instanceId)).toBe("stopped"));
    await ec2.startInstances(REGION, [instanceId]);

    await waitUntil(() =>
      expect(changes.map(([, state]) => state)).toEqual([
        "pending",
        "running",
        "stopping",
        "stopped",
        "pending",
        "running",
      ]),
    );
  });

  it("refuses to stop a pending instance, as EC2 does, and changes nothing", async () => {
    const { ec2 } = openEc2({ bootDelayMs: 60_000 });
    const instanceId = await launchedId(ec2);

    await expect(ec2.stopInstances(REGION, [instanceId])).rejects.toMatchObject({
      code: "IncorrectInstanceState",
    });
    expect(stateOf(ec2, instanceId)).toBe("pending");
  });

  it("after a restart, finishes a stop the previous run began", async () => {
    const first = openEc2({ shutdownDelayMs: 60_000 });
    const instanceId = await launchedId(first.ec2);
    await waitUntil(() => expect(stateOf(first.ec2, instanceId)).toBe("running"));
    await first.ec2.stopInstances(REGION, [instanceId]);
    await first.ec2.close();

    const { ec2 } = openEc2();

    await waitUntil(() => expect(stateOf(ec2, instanceId)).toBe("stopped"));
  });
});

describe("LocalEc2 state file", () => {
  it("holds every instance once a call returns, and no temporary file once closed", async () => {
    const { ec2 } = openEc2({ bootDelayMs: 60_000 });

    const instanceId = await launchedId(ec2);

    const state = JSON.parse(await readFile(join(dataDir(), "ec2", "state.json"), "utf8"));
    expect(state.instances).toEqual([expect.objectContaining({ instanceId, state: "pending" })]);
    await ec2.close();
    expect(await readdir(join(dataDir(), "ec2"))).toEqual(["state.json"]);
  });

  it("refuses to start from a corrupt state file rather than forgetting its instances", async () => {
    openEc2();
    await writeFile(join(dataDir(), "ec2", "state.json"), "{ not json");

    expect(() => openEc2()).toThrow(Ec2StateFileError);
  });
});
