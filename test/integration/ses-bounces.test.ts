import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIMULATOR } from "../../infra/local/ses-events.ts";
import {
  decide,
  decisionLinks,
  emailsTo,
  getRequest,
  localUsersEnv,
  submit,
  validRequest,
  waitForEmails,
  waitForStatus,
} from "../support/flow.ts";
import { type StackUnderTest, startStack } from "../support/stack.ts";

/** A requester whose address is SES's mailbox simulator's bouncing one: every email to it bounces for good. */
const BOUNCING = { email: SIMULATOR.bounce, name: "Bo Bounce", groups: ["requesters" as const] };

describe("a requester whose email bounces", () => {
  let stack: StackUnderTest;
  beforeAll(async () => {
    stack = await startStack({ env: localUsersEnv(BOUNCING) });
  });
  afterAll(() => stack?.destroy());

  /** Submits a request as the bouncing requester and rejects it from the approver's email. */
  const submitAndReject = async (reason: string) => {
    const submitted = await submit(stack, validRequest({ requester: undefined }), {}, BOUNCING.email);
    expect(submitted.status).toBe(202);
    const requestId = String(submitted.body.requestId);
    const [approvalEmail] = await waitForEmails(stack, "approver@example.com", requestId);
    await decide(decisionLinks(approvalEmail as NonNullable<typeof approvalEmail>).reject, { reason });
    await waitForStatus(stack, requestId, "REJECTED");
    return requestId;
  };

  it("is mailed once; the bounce suppresses the address, and the next request's news is not sent but on its timeline", async () => {
    const first = await submitAndReject("first: its news bounces");
    // The first news goes out and bounces: the local SES reports it on the default bus as it stores it,
    // and the notifier suppresses the address long before the second request is decided.
    await waitForEmails(stack, BOUNCING.email, first);
    await stack.eventually(
      () => getRequest(stack, first),
      (view) => view?.timeline.some((entry) => entry.type === "RequesterNotified") ?? false,
    );

    const second = await submitAndReject("second: not mailed");
    const view = await stack.eventually(
      () => getRequest(stack, second),
      (found) => found?.timeline.some((entry) => entry.type === "EmailSuppressed") ?? false,
    );

    expect(view?.timeline.find((entry) => entry.type === "EmailSuppressed")?.detail).toMatchObject({
      requestId: second,
      recipient: BOUNCING.email,
      reason: "BOUNCE",
      about: "RequestRejected",
    });
    expect(view?.timeline.map((entry) => entry.type)).not.toContain("RequesterNotified");
    expect(await emailsTo(stack, BOUNCING.email, second)).toEqual([]);
  });
});
