import { DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  decide,
  decisionLinks,
  getRequest,
  localUsersEnv,
  submit,
  validRequest,
  waitForEmails,
  waitForStatus,
} from "../support/flow.ts";
import { type StackUnderTest, startStack } from "../support/stack.ts";

describe("a request from the portal API to a running instance", () => {
  let stack: StackUnderTest;
  beforeAll(async () => {
    stack = await startStack({ env: localUsersEnv() });
  });
  afterAll(() => stack?.destroy());

  it("is approved from the email link, launches one tagged instance, tells the requester and audits every step", async () => {
    const submitted = await submit(stack, validRequest());
    expect(submitted.status).toBe(202);
    const requestId = String(submitted.body.requestId);
    expect(submitted.body.status).toBe("SUBMITTED");

    const [approvalEmail] = await waitForEmails(stack, "approver@example.com", requestId);
    expect(approvalEmail?.subject).toContain(requestId);
    const links = decisionLinks(approvalEmail as NonNullable<typeof approvalEmail>);
    expect(links.approve.startsWith(stack.portalUrl)).toBe(true);
    await waitForStatus(stack, requestId, "PENDING_APPROVAL");

    // A mail scanner follows every link: GET and HEAD must change nothing.
    for (const link of [links.approve, links.reject]) {
      const page = await fetch(link);
      expect(page.status).toBe(200);
      expect(page.headers.get("cache-control")).toContain("no-store");
      expect((await fetch(link, { method: "HEAD" })).status).toBe(200);
    }
    expect((await getRequest(stack, requestId))?.status).toBe("PENDING_APPROVAL");

    const decision = await decide(links.approve);
    expect(decision.status).toBe(200);

    const provisioned = await waitForStatus(stack, requestId, "PROVISIONED");
    expect(provisioned.instanceId).toMatch(/^i-[0-9a-f]{17}$/);
    expect(provisioned.decision).toMatchObject({ outcome: "APPROVED", approver: "approver@example.com" });

    const described = await stack.ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: "tag:RequestId", Values: [requestId] }] }),
    );
    const instances = described.Reservations?.flatMap((reservation) => reservation.Instances ?? []) ?? [];
    expect(instances.map((instance) => instance.InstanceId)).toEqual([provisioned.instanceId]);
    const tags = Object.fromEntries((instances[0]?.Tags ?? []).map((tag) => [tag.Key, tag.Value]));
    expect(tags).toMatchObject({
      RequestId: requestId,
      Requester: "ana@example.com",
      Approver: "approver@example.com",
      Name: "build-box",
    });
    expect(instances[0]?.PrivateIpAddress).toBe("10.0.1.25");
    expect(instances[0]?.InstanceType).toBe("t3.micro");

    const [requesterEmail] = await waitForEmails(stack, "ana@example.com", String(provisioned.instanceId));
    expect(requesterEmail?.body.text).toContain(requestId);

    const final = await stack.eventually(
      () => getRequest(stack, requestId),
      // The requester is told twice: of the approval, then that the instance runs.
      (view) => (view?.timeline.filter((entry) => entry.type === "RequesterNotified").length ?? 0) >= 2,
    );
    const types = final?.timeline.map((entry) => entry.type) ?? [];
    for (const type of [
      "ResourceRequested",
      "RequestAccepted",
      "ApprovalRequested",
      "RequestApproved",
      "ProvisioningStarted",
      "ResourceProvisioned",
      "RequesterNotified",
    ]) {
      expect(types).toContain(type);
    }
    const times = final?.timeline.map((entry) => entry.time) ?? [];
    expect([...times].sort()).toEqual(times);
    expect(final?.status).toBe("PROVISIONED");

    // The used link is gone: 410, never a 5xx.
    const again = await decide(links.approve);
    expect(again.status).toBe(410);
  });
});
