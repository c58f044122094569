import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  decide,
  decisionLinks,
  localUsersEnv,
  submit,
  validRequest,
  waitForEmails,
  waitForStatus,
} from "../support/flow.ts";
import { type StackUnderTest, startStack } from "../support/stack.ts";

describe("requests nobody can or does decide", () => {
  let stack: StackUnderTest;
  beforeAll(async () => {
    stack = await startStack({
      env: {
        APPROVAL_TTL_SECONDS: "2",
        SWEEP_INTERVAL_MS: "500",
        // Solo is the only member of the group "approvers": the default approvers only request here.
        ...localUsersEnv(
          { email: "solo@example.com", name: "Solo", groups: ["requesters", "approvers"] },
          { email: "approver@example.com", name: "Avery Approver", groups: ["requesters"] },
          { email: "approver2@example.com", name: "Alex Approver", groups: ["requesters"] },
        ),
      },
    });
  });
  afterAll(() => stack?.destroy());

  it("expires an unanswered request after its deadline, tells the requester, and refuses the stale link", async () => {
    const submitted = await submit(stack, validRequest());
    const requestId = String(submitted.body.requestId);
    const [email] = await waitForEmails(stack, "solo@example.com", requestId);

    const expired = await waitForStatus(stack, requestId, "EXPIRED", 30_000);

    expect(expired.timeline.map((entry) => entry.type)).toContain("RequestExpired");
    await waitForEmails(stack, "ana@example.com", requestId);
    const late = await decide(decisionLinks(email as NonNullable<typeof email>).approve);
    expect(late.status).toBe(410);
  });

  it("refuses a request whose requester is the only approver, and says why", async () => {
    const submitted = await submit(
      stack,
      validRequest({ requester: { email: "solo@example.com" } }),
      {},
      "solo@example.com",
    );
    const requestId = String(submitted.body.requestId);

    const refused = await waitForStatus(stack, requestId, "REJECTED");

    expect(String(refused.decision?.reason)).toMatch(/approver/i);
    const [told] = await waitForEmails(stack, "solo@example.com", requestId);
    expect(told?.body.html ?? "").not.toContain("/decisions/");
  });
});
