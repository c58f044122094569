import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AcceptedRequest } from "../../events/request.ts";
import { startTestDynamo, type TestDynamo } from "../../test/support/dynamo.ts";
import { sampleRequest } from "../../test/support/fixtures.ts";
import { hashToken } from "../shared/decision-token.ts";
import type { AskedApproval, Decider, SignedInApprover } from "./domain.ts";
import {
  type ApprovalStore,
  type Condition,
  createApprovalStore,
  linkVoteCondition,
  signedInVoteCondition,
} from "./store.ts";
import { approvalsTable } from "./tables.ts";
import { seedPendingApproval } from "./testing/approvals.ts";
import { approveTransition } from "./transitions.ts";

/**
 * The decision's conditional write is what refuses self-approval and counts each vote once, whatever
 * the judgement before it said: these tests run it on dynalite, so the condition expressions are
 * DynamoDB's to evaluate.
 */

const NOW = new Date("2026-03-01T10:00:00.000Z");
const EXPIRES_AT = new Date("2026-03-01T11:00:00.000Z");

let dynamo: TestDynamo;
let store: ApprovalStore;

beforeAll(async () => {
  dynamo = await startTestDynamo([approvalsTable]);
  store = createApprovalStore(approvalsTable.id, dynamo.document);
});
afterAll(() => dynamo.close());

let idCounter = 0;

/**
 * A pending approval of a fresh request by `requester`, its links sent to `approvers`; with
 * `storedBeforeIdentities`, as decision stored it before it kept the requester's subject and
 * canonical email.
 */
const pendingRequestBy = async (
  requester: AcceptedRequest["requester"],
  approvers: string[],
  { storedBeforeIdentities = false } = {},
) => {
  const requestId = `store-${++idCounter}`;
  const request = sampleRequest({ requestId, requester });
  const links = await seedPendingApproval(store, {
    request,
    approvers,
    createdAt: NOW,
    expiresAt: EXPIRES_AT,
  });
  if (storedBeforeIdentities) {
    await dynamo.document.send(
      new UpdateCommand({
        TableName: approvalsTable.id,
        Key: { requestId },
        UpdateExpression: "REMOVE requesterCanonicalEmail, requesterSubject",
      }),
    );
  }
  /** Applies `decider`'s approval to the approval as stored now, under `condition` alone. */
  const approveAs = async (decider: Decider, condition: Condition) => {
    const approval = (await store.get(requestId)) as AskedApproval;
    const written = await store.apply(
      approval,
      approveTransition(approval, decider, undefined, NOW),
      NOW,
      condition,
    );
    return written?.approval;
  };
  const pressLink = (approver: string, approverSubject?: string) => {
    const token = links[approver]?.approve;
    if (!token) throw new Error(`No link for ${approver}`);
    const decider = { email: approver, subject: approverSubject };
    return approveAs(
      decider,
      linkVoteCondition(decider, { action: "approve", tokenHash: hashToken(token) }, NOW),
    );
  };
  const decideSignedIn = (approver: SignedInApprover) =>
    approveAs(approver, signedInVoteCondition(approver, NOW));
  return { requestId, pressLink, decideSignedIn, stored: () => store.get(requestId) };
};

describe("the decision's conditional write refuses the requester by identity", () => {
  it.each([
    ["in another case", "Approver@Example.com", "approver@example.com"],
    ["plus-addressed", "approver+me@example.com", "approver@example.com"],
    ["with Gmail's dots", "a.p.p.r.o.v.e.r@gmail.com", "approver@gmail.com"],
  ])(
    "refuses the link of the requester's own mailbox, their address typed %s, and lets another approver's stand",
    async (_case, requesterEmail, ownMailbox) => {
      const { pressLink, stored } = await pendingRequestBy({ email: requesterEmail }, [
        ownMailbox,
        "cy@example.com",
      ]);

      expect(await pressLink(ownMailbox)).toBeUndefined();
      expect(await stored()).toMatchObject({ status: "PENDING" });
      expect(await pressLink("cy@example.com")).toMatchObject({
        status: "DECIDED",
        decision: { approver: "cy@example.com" },
      });
    },
  );

  it("refuses a signed-in approver of another email whose subject is the requester's", async () => {
    const { decideSignedIn, stored } = await pendingRequestBy(
      { email: "ana@example.com", subject: "sub-ana" },
      ["ana.lead@example.com"],
    );

    const decided = await decideSignedIn({ email: "ana.lead@example.com", subject: "sub-ana" });

    expect(decided).toBeUndefined();
    expect(await stored()).toMatchObject({ status: "PENDING" });
  });

  it("refuses the requester's subject using another approver's link signed in, and not that approver", async () => {
    const { pressLink, stored } = await pendingRequestBy({ email: "ana@example.com", subject: "sub-ana" }, [
      "bob@example.com",
    ]);

    expect(await pressLink("bob@example.com", "sub-ana")).toBeUndefined();
    expect(await stored()).toMatchObject({ status: "PENDING" });
    expect(await pressLink("bob@example.com", "sub-bob")).toMatchObject({
      status: "DECIDED",
      decision: { approver: "bob@example.com", approverSubject: "sub-bob" },
    });
  });

  it("refuses the requester signed in by a plus-addressed email, and lets another approver decide signed in", async () => {
    const { decideSignedIn, stored } = await pendingRequestBy({ email: "approver@example.com" }, [
      "approver+me@example.com",
      "cy@example.com",
    ]);

    expect(await decideSignedIn({ email: "Approver+Me@example.com", subject: "sub-x" })).toBeUndefined();
    expect(await stored()).toMatchObject({ status: "PENDING" });
    expect(await decideSignedIn({ email: "cy@example.com", subject: "sub-cy" })).toMatchObject({
      status: "DECIDED",
    });
  });

  it("still decides an approval stored before subjects and canonical emails were kept, refusing its requester's lower-cased email", async () => {
    const { pressLink, decideSignedIn, stored } = await pendingRequestBy(
      { email: "Ana@Example.com", subject: "sub-ana" },
      ["ana@example.com", "bob@example.com"],
      { storedBeforeIdentities: true },
    );

    expect(await stored()).not.toHaveProperty("requesterCanonicalEmail");
    expect(await stored()).not.toHaveProperty("requesterSubject");
    expect(await pressLink("ana@example.com")).toBeUndefined();
    expect(await decideSignedIn({ email: "bob@example.com", subject: "sub-bob" })).toMatchObject({
      status: "DECIDED",
      decision: { approver: "bob@example.com" },
    });
  });
});

describe("a vote's conditional write", () => {
  it("counts only one of two votes written against the same read: the other must read again", async () => {
    const { stored } = await pendingRequestBy({ email: "ana@example.com" }, [
      "bob@example.com",
      "cy@example.com",
    ]);
    const read = { ...((await stored()) as AskedApproval), quorum: 3 };
    const vote = (email: string) =>
      store.apply(
        read,
        approveTransition(read, { email }, undefined, NOW),
        NOW,
        signedInVoteCondition({ email }, NOW),
      );

    const written = await Promise.all([vote("bob@example.com"), vote("cy@example.com")]);

    expect(written.filter(Boolean)).toHaveLength(1);
    expect(await stored()).toMatchObject({ votes: [{ approver: expect.any(String) }], eventSeq: 1 });
  });

  it("refuses an approver who voted before, however their vote is written again", async () => {
    const { pressLink, stored } = await pendingRequestBy({ email: "ana@example.com" }, ["bob@example.com"]);
    const approval = (await stored()) as AskedApproval;
    const twice = { ...approval, quorum: 2 };
    const first = await store.apply(
      approval,
      approveTransition(twice, { email: "bob@example.com" }, undefined, NOW),
      NOW,
      signedInVoteCondition({ email: "bob@example.com" }, NOW),
    );

    expect(first?.approval.voters).toEqual(["bob@example.com"]);
    expect(await pressLink("bob@example.com")).toBeUndefined();
  });
});
