import "../../test/support/service-environment.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestDynamo, type TestDynamo } from "../../test/support/dynamo.ts";
import { sampleRequest } from "../../test/support/fixtures.ts";
import {
  createDelegationsCopy,
  type DelegateOf,
  type DelegationsCopyStore,
  delegatedStage,
} from "./delegations.ts";
import type { AskedApproval } from "./domain.ts";
import type { ResolvedStage } from "./stages.ts";
import { delegationsCopyTable } from "./tables.ts";
import { approveTransition, rejectTransition } from "./transitions.ts";

const AVERY = "avery@example.com";
const ALEX = "alex@example.com";
const DANA = "dana@example.com";
const ANA = { email: "ana@example.com" };

const stage = (approvers: string[], quorum = 1): ResolvedStage => ({
  ref: { index: 0, name: "leads", count: 1 },
  approvers,
  quorum,
});

const away =
  (delegates: Record<string, string>): DelegateOf =>
  (approver) =>
    delegates[approver];

describe("a stage with delegations applied", () => {
  it("asks an away approver's delegate in their place, on their behalf, keeping the quorum", () => {
    expect(delegatedStage(stage([AVERY, ALEX], 2), away({ [AVERY]: DANA }), ANA, [])).toEqual({
      ...stage([DANA, ALEX], 2),
      delegates: { [DANA]: AVERY },
    });
  });

  it("is the stage itself when nobody asked is away", () => {
    const asked = stage([AVERY, ALEX]);

    expect(delegatedStage(asked, away({ [DANA]: ALEX }), ANA, [])).toBe(asked);
  });

  it("keeps asking the approver whose delegate is the requester, whatever the address's case or +tag", () => {
    const asked = stage([AVERY, ALEX]);

    expect(delegatedStage(asked, away({ [AVERY]: "Ana+deputy@example.com" }), ANA, [])).toBe(asked);
  });

  it("keeps asking the approver whose delegate is asked already, or counted in an earlier stage", () => {
    expect(delegatedStage(stage([AVERY, ALEX]), away({ [AVERY]: ALEX }), ANA, [])).toEqual(
      stage([AVERY, ALEX]),
    );
    expect(delegatedStage(stage([AVERY]), away({ [AVERY]: DANA }), ANA, [DANA])).toEqual(stage([AVERY]));
  });

  it("asks one delegate for one approver only: two approvers with the same delegate keep one asked", () => {
    expect(delegatedStage(stage([AVERY, ALEX]), away({ [AVERY]: DANA, [ALEX]: DANA }), ANA, [])).toEqual({
      ...stage([DANA, ALEX]),
      delegates: { [DANA]: AVERY },
    });
  });

  it("never forwards along a chain: an approver whose delegate is away too stays asked", () => {
    const asked = stage([AVERY]);

    expect(delegatedStage(asked, away({ [AVERY]: DANA, [DANA]: ALEX }), ANA, [])).toBe(asked);
  });
});

describe("a delegate's vote", () => {
  const NOW = new Date("2026-12-10T10:00:00.000Z");
  /** Avery is away: Dana is asked on Avery's behalf, beside Alex; one approval decides. */
  const delegated: AskedApproval = {
    requestId: "req-1",
    request: sampleRequest(),
    requesterEmail: ANA.email,
    createdAt: "2026-12-10T09:00:00.000Z",
    status: "PENDING",
    approvers: [DANA, ALEX],
    delegates: { [DANA]: AVERY },
    expiresAt: "2026-12-11T09:00:00.000Z",
    stage: { index: 0, name: "leads", count: 1 },
    quorum: 1,
    votes: [],
    voters: [],
    outbox: {},
    eventSeq: 0,
  };
  const detailsOf = (events: readonly unknown[]) =>
    Object.fromEntries(
      events.map((event) => [
        (event as { detailType: string }).detailType,
        (event as { detail: unknown }).detail,
      ]),
    );

  it("is recorded on the approver's behalf, and the approval it completes lists it so", () => {
    const { set, events } = approveTransition(delegated, { email: "Dana@example.com" }, undefined, NOW);

    expect(set.votes?.[0]).toMatchObject({ approver: "Dana@example.com", onBehalfOf: AVERY });
    expect(detailsOf(events)).toMatchObject({
      ApprovalVoteRecorded: { approver: "Dana@example.com", onBehalfOf: AVERY },
      ApprovalStageCompleted: { approvedBy: [{ email: "Dana@example.com", onBehalfOf: AVERY }] },
      RequestApproved: { approvals: [{ approver: "Dana@example.com", onBehalfOf: AVERY }] },
    });
  });

  it("rejects on the approver's behalf; anyone else's vote is their own", () => {
    const rejected = detailsOf(rejectTransition(delegated, { email: DANA }, "no", NOW).events);
    const own = detailsOf(approveTransition(delegated, { email: ALEX }, undefined, NOW).events);

    expect(rejected.ApprovalVoteRecorded).toMatchObject({ approver: DANA, onBehalfOf: AVERY });
    expect(own.ApprovalVoteRecorded).not.toHaveProperty("onBehalfOf");
  });
});

describe("decision's copy of the delegations", () => {
  let dynamo: TestDynamo;
  let copies: DelegationsCopyStore;
  beforeAll(async () => {
    dynamo = await startTestDynamo([delegationsCopyTable]);
    copies = createDelegationsCopy(dynamo.document, delegationsCopyTable.id);
  });
  afterAll(() => dynamo.close());

  const windowOf = (delegate: string) => ({
    from: "2026-12-08T00:00:00.000Z",
    to: "2026-12-15T00:00:00.000Z",
    delegate,
  });
  const changed = (approver: string, at: string, windows = [windowOf(DANA)]) => ({
    approver,
    windows,
    changedAt: `2026-12-07T${at}:00.000Z`,
  });

  it("keeps the newest change, whatever order the changes arrive in", async () => {
    expect(await copies.keepNewer(changed(AVERY, "10:00"))).toBe(true);
    expect(await copies.keepNewer(changed(AVERY, "09:00", []))).toBe(false);
    expect(await copies.keepNewer(changed(AVERY, "10:00", []))).toBe(false);
    expect(await copies.get(AVERY)).toEqual(changed(AVERY, "10:00"));
    expect(await copies.keepNewer(changed(AVERY, "11:00", []))).toBe(true);
    expect((await copies.get(AVERY))?.windows).toEqual([]);
  });

  it("says who is away at a moment, and who their delegates delegate to then", async () => {
    await copies.keepNewer(changed(ALEX, "10:00", [windowOf("carl@example.com")]));
    await copies.keepNewer(changed("carl@example.com", "10:00", [windowOf(DANA)]));

    const during = await copies.delegatesAt([ALEX], new Date("2026-12-10T00:00:00.000Z"));
    const after = await copies.delegatesAt([ALEX], new Date("2026-12-15T00:00:00.000Z"));

    expect(during(ALEX)).toBe("carl@example.com");
    expect(during("carl@example.com")).toBe(DANA);
    expect(after(ALEX)).toBeUndefined();
  });
});
