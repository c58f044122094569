import { describe, expect, it } from "vitest";
import type { LeaseExtension, LeaseView } from "../../api/schemas.ts";
import type { ShownRequest } from "./api.ts";
import {
  type Clock,
  costSoFarInWords,
  extensionInWords,
  leaseActionIn,
  leaseEndInWords,
  leaseInWords,
  leaseOfferTo,
  releaseConsequence,
  releaseInWords,
} from "./lease.ts";
import type { SignedInUser } from "./sign-in.ts";

const CLOCK: Clock = { now: new Date("2026-12-07T09:00:00Z"), locale: "en-GB", timeZone: "UTC" };

const running = (overrides: Partial<LeaseView> = {}): LeaseView => ({
  duration: "P7D",
  onEnd: "terminate",
  max: "P90D",
  startedAt: "2026-12-03T09:00:00Z",
  endsAt: "2026-12-10T09:00:00Z",
  extensions: [],
  ...overrides,
});

const provisioned = (overrides: Partial<ShownRequest> = {}): ShownRequest => ({
  requestId: "req_0123456789abcdef0123",
  status: "PROVISIONED",
  requester: { email: "Ana@example.com" },
  resource: {
    type: "ec2",
    instanceType: "t3.micro",
    os: "amazon-linux-2023",
    volume: { sizeGiB: 20, type: "gp3" },
  },
  instanceId: "i-0abc1234def567890",
  lease: running(),
  ...overrides,
});

const ANA: SignedInUser = { email: "ana@example.com", name: "Ana", groups: ["requesters"] };
const BOB: SignedInUser = { email: "bob@example.com", name: "Bob", groups: ["requesters"] };
const OPERATOR: SignedInUser = {
  email: "operator@example.com",
  name: "Olga",
  groups: ["operators"],
};

describe("a lease in words on the request page", () => {
  it("says when a running lease ends, how far off that is, and what happens then", () => {
    expect(leaseInWords(running(), CLOCK)).toBe("ends 10 Dec 2026, 09:00:00 (in 3 days) · then terminated");
    expect(
      leaseInWords(running({ onEnd: "snapshot-and-delete", endsAt: "2026-12-07T11:30:00Z" }), CLOCK),
    ).toBe("ends 7 Dec 2026, 11:30:00 (in 2 hours and 30 minutes) · then deleted after a final snapshot");
  });

  it("says a lease whose end has passed ended, and how long ago", () => {
    expect(leaseInWords(running({ endsAt: "2026-12-07T08:00:00Z" }), CLOCK)).toBe(
      "ended 7 Dec 2026, 08:00:00 (1 hour ago) · then terminated",
    );
  });

  it("says no end for a lease without one, started or not", () => {
    expect(leaseInWords(running({ duration: null, max: null, endsAt: null }), CLOCK)).toBe("no end");
    expect(
      leaseInWords(running({ duration: null, max: null, startedAt: undefined, endsAt: undefined }), CLOCK),
    ).toBe("no end");
  });

  it("says when and how a released lease was released, not its planned end, once released early", () => {
    const early = running({
      release: {
        reason: "released-by-requester",
        action: "terminate",
        requestedAt: "2026-12-07T08:00:00Z",
        outcome: "terminated",
        releasedAt: "2026-12-07T08:01:00Z",
      },
    });
    expect(leaseInWords(early, CLOCK)).toBe("released 7 Dec 2026, 08:01:00 (59 minutes ago) · terminated");
  });

  it("says since when a lease is being released until its launcher confirms, and why it was not", () => {
    const asked = {
      reason: "released-by-operator",
      action: "terminate",
      requestedAt: "2026-12-07T08:30:00Z",
    } as const;
    expect(leaseInWords(running({ release: asked }), CLOCK)).toBe(
      "being released since 7 Dec 2026, 08:30:00 (30 minutes ago)",
    );
    expect(
      leaseInWords(
        running({ release: { ...asked, problem: "denied", failedAt: "2026-12-07T08:45:00Z" } }),
        CLOCK,
      ),
    ).toBe("release failed 7 Dec 2026, 08:45:00 (15 minutes ago)");
    expect(
      leaseInWords(
        running({
          release: { ...asked, action: "delete-if-empty", kept: true, failedAt: "2026-12-07T08:45:00Z" },
        }),
        CLOCK,
      ),
    ).toBe("kept 7 Dec 2026, 08:45:00 (15 minutes ago), not released");
  });

  it("counts a lease not started yet from when the resource is ready", () => {
    expect(leaseInWords(running({ duration: "PT36H", startedAt: undefined, endsAt: undefined }), CLOCK)).toBe(
      "1 day and 12 hours from when it is ready · then terminated",
    );
  });

  it("shows the list's end of each lease: a time, no end, or nothing before it starts", () => {
    expect(leaseEndInWords("2026-12-10T09:00:00Z", CLOCK)).toBe("10 Dec 2026, 09:00:00");
    expect(leaseEndInWords(null, CLOCK)).toBe("No end");
    expect(leaseEndInWords(undefined, CLOCK)).toBe("");
  });
});

describe("the cost so far in words", () => {
  it("says how long it has run and about what it cost", () => {
    expect(costSoFarInWords({ hours: 12.4, usd: 0.13, asOf: "2026-12-07T09:00:00Z" }, false)).toBe(
      "Running for 12 h · about $0.13 so far",
    );
    expect(costSoFarInWords({ hours: 1234.9, usd: 12.84, asOf: "2026-12-07T09:00:00Z" }, false)).toBe(
      "Running for 1,234 h · about $12.84 so far",
    );
  });

  it("counts minutes in the first hour", () => {
    expect(costSoFarInWords({ hours: 0.25, usd: 0, asOf: "2026-12-07T09:00:00Z" }, false)).toBe(
      "Running for 15 min · about $0.00 so far",
    );
  });

  it("says ran once released, and never $0 for a cost unknown", () => {
    expect(costSoFarInWords({ hours: 30, usd: 0.31, asOf: "2026-12-07T09:00:00Z" }, true)).toBe(
      "Ran for 30 h · about $0.31",
    );
    expect(costSoFarInWords({ hours: 30, usd: null, asOf: "2026-12-07T09:00:00Z" }, false)).toBe(
      "Running for 30 h · cost unknown",
    );
  });
});

describe("extensions and the release in words", () => {
  const extension = (overrides: Partial<LeaseExtension> = {}): LeaseExtension => ({
    n: 1,
    from: "2026-12-10T09:00:00Z",
    until: "2026-12-13T09:00:00Z",
    justification: "Load tests run late",
    askedBy: "ana@example.com",
    status: "requested",
    ...overrides,
  });

  it("says how much longer each extension asks, who asked, and what became of it", () => {
    expect(extensionInWords(extension(), CLOCK)).toBe(
      "Extension 1: until 13 Dec 2026, 09:00:00 (+3 days), asked by ana@example.com · waiting for approval",
    );
    expect(extensionInWords(extension({ status: "approved", decider: "policy:default" }), CLOCK)).toBe(
      "Extension 1: until 13 Dec 2026, 09:00:00 (+3 days), asked by ana@example.com · approved by policy default",
    );
    expect(
      extensionInWords(
        extension({ status: "refused", decider: "lead@example.com", reason: "Use a smaller one" }),
        CLOCK,
      ),
    ).toBe(
      "Extension 1: until 13 Dec 2026, 09:00:00 (+3 days), asked by ana@example.com · refused by lead@example.com: Use a smaller one",
    );
    expect(extensionInWords(extension({ status: "refused" }), CLOCK)).toContain(
      "refused: nobody decided in time",
    );
  });

  it("says why a resource was released, by whom, and what its launcher confirmed", () => {
    expect(
      releaseInWords(
        {
          reason: "released-by-requester",
          action: "terminate",
          by: "ana@example.com",
          note: "Done early",
          requestedAt: "2026-12-07T08:00:00Z",
          outcome: "terminated",
          releasedAt: "2026-12-07T08:01:00Z",
        },
        CLOCK,
      ),
    ).toEqual({
      why: "released by its requester (ana@example.com), 7 Dec 2026, 08:00:00: Done early",
      outcome: "terminated 7 Dec 2026, 08:01:00",
    });
  });

  it("says a release is being confirmed until it is, and why it failed or was kept", () => {
    const ended = { reason: "lease-ended", action: "snapshot-and-delete" } as const;
    expect(releaseInWords(ended, CLOCK)).toEqual({
      why: "the lease ended",
      outcome: "deleted after a final snapshot now, being confirmed",
    });
    expect(
      releaseInWords(
        { ...ended, problem: "still available after 6 checks", failedAt: "2026-12-07T08:00:00Z" },
        CLOCK,
      ).outcome,
    ).toBe("failed 7 Dec 2026, 08:00:00: still available after 6 checks");
    expect(
      releaseInWords(
        {
          reason: "lease-ended",
          action: "delete-if-empty",
          kept: true,
          problem: "the bucket holds 3 objects",
        },
        CLOCK,
      ).outcome,
    ).toBe("kept: the bucket holds 3 objects");
  });
});

describe("releasing now: what it will do, said first", () => {
  it("names the instance it terminates or stops", () => {
    expect(releaseConsequence(provisioned())).toBe(
      "This terminates i-0abc1234def567890 now. This cannot be undone.",
    );
    expect(releaseConsequence(provisioned({ lease: running({ onEnd: "stop" }) }))).toBe(
      "This stops i-0abc1234def567890 now, and its lease ends. This cannot be undone.",
    );
  });

  it("names the database, and whether a final snapshot is kept", () => {
    const database = (onEnd: LeaseView["onEnd"]) =>
      provisioned({
        resource: {
          type: "rds",
          engine: "postgres",
          instanceClass: "db.t4g.micro",
          allocatedStorageGiB: 20,
          name: "orders",
        },
        instanceId: undefined,
        dbInstanceIdentifier: "orders-0123abcd",
        lease: running({ onEnd }),
      } as Partial<ShownRequest>);
    expect(releaseConsequence(database("snapshot-and-delete"))).toBe(
      "This deletes the database orders-0123abcd now, after a final snapshot. This cannot be undone.",
    );
    expect(releaseConsequence(database("delete-without-snapshot"))).toContain("without a final snapshot");
  });

  it("says a bucket with objects in it is kept", () => {
    const bucket = provisioned({
      resource: { type: "s3", bucketName: "team-reports" },
      instanceId: undefined,
      bucket: { name: "team-reports", arn: "arn:aws:s3:::team-reports", region: "us-east-1" },
      lease: running({ onEnd: "delete-if-empty" }),
    } as Partial<ShownRequest>);
    expect(releaseConsequence(bucket)).toBe(
      "This deletes the bucket team-reports now if it is empty; a bucket with objects in it is kept, and you are told. This cannot be undone.",
    );
  });
});

describe("who may extend or release a lease, and when", () => {
  it("offers both to the requester, whatever the case of her email, and release only to operators, while it runs", () => {
    expect(leaseOfferTo(provisioned(), ANA)).toEqual({ extend: true, release: true });
    expect(leaseOfferTo(provisioned(), OPERATOR)).toEqual({ extend: false, release: true });
  });

  it("offers nothing to another requester", () => {
    expect(leaseOfferTo(provisioned(), BOB)).toEqual({ extend: false, release: false });
  });

  it("offers nothing before the lease starts, once it is released, or once the request is no longer provisioned", () => {
    const none = { extend: false, release: false };
    expect(
      leaseOfferTo(provisioned({ lease: running({ startedAt: undefined, endsAt: undefined }) }), ANA),
    ).toEqual(none);
    expect(leaseOfferTo(provisioned({ status: "RELEASING" }), ANA)).toEqual(none);
    expect(
      leaseOfferTo(
        provisioned({ lease: running({ release: { reason: "lease-ended", action: "terminate" } }) }),
        ANA,
      ),
    ).toEqual(none);
    expect(leaseOfferTo(provisioned({ lease: undefined }), ANA)).toEqual(none);
  });

  it("offers release again, and no extension, once a release failed or kept the bucket", () => {
    const failed = provisioned({
      status: "RELEASE_FAILED",
      lease: running({ release: { reason: "lease-ended", action: "terminate" } }),
    });

    expect(leaseOfferTo(failed, ANA)).toEqual({ extend: false, release: true });
    expect(leaseOfferTo(failed, OPERATOR)).toEqual({ extend: false, release: true });
    expect(leaseOfferTo(failed, BOB)).toEqual({ extend: false, release: false });
  });

  it("offers release but no extension for a lease with no end, or with an extension already waiting", () => {
    expect(leaseOfferTo(provisioned({ lease: running({ duration: null, endsAt: null }) }), ANA)).toEqual({
      extend: false,
      release: true,
    });
    const waiting = running({
      extensions: [
        {
          n: 1,
          from: "2026-12-10T09:00:00Z",
          until: "2026-12-13T09:00:00Z",
          justification: "More tests",
          status: "requested",
        },
      ],
    });
    expect(leaseOfferTo(provisioned({ lease: waiting }), ANA)).toEqual({ extend: false, release: true });
  });

  it("opens the dialog the reminder emails' links name, and no other", () => {
    expect(leaseActionIn("?action=extend")).toBe("extend");
    expect(leaseActionIn("?action=release&x=1")).toBe("release");
    expect(leaseActionIn("?action=delete")).toBeUndefined();
    expect(leaseActionIn("")).toBeUndefined();
  });
});
