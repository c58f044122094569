import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

const submitAndGetLinks = async (
  stack: StackUnderTest,
  body = validRequest(),
  approver = "approver@example.com",
) => {
  const submitted = await submit(stack, body);
  expect(submitted.status).toBe(202);
  const requestId = String(submitted.body.requestId);
  const [email] = await waitForEmails(stack, approver, requestId);
  await waitForStatus(stack, requestId, "PENDING_APPROVAL");
  return { requestId, links: decisionLinks(email as NonNullable<typeof email>) };
};

const withToken = (link: string, mutate: (token: string) => string) => {
  const url = new URL(link);
  url.searchParams.set("token", mutate(url.searchParams.get("token") ?? ""));
  return url.toString();
};

const SELF_APPROVER = { email: "approver@example.com", name: "Self" };

describe("decisions from the approval email", () => {
  let stack: StackUnderTest;
  beforeAll(async () => {
    stack = await startStack({
      env: {
        // The approver files a request of their own too; the boss approves as well.
        ...localUsersEnv(
          { ...SELF_APPROVER, groups: ["approvers", "requesters"] },
          { email: "boss@example.com", name: "Boss", groups: ["approvers"] },
        ),
      },
    });
  });
  afterAll(() => stack?.destroy());

  it("rejects with the approver's reason, tells the requester, and launches nothing", async () => {
    const { requestId, links } = await submitAndGetLinks(stack);
    const reason = "Too expensive <b>for now</b>";

    const decision = await decide(links.reject, { reason });
    expect(decision.status).toBe(200);

    const rejected = await waitForStatus(stack, requestId, "REJECTED");
    expect(rejected.decision).toMatchObject({
      outcome: "REJECTED",
      approver: "approver@example.com",
      reason,
    });
    const [told] = await waitForEmails(stack, "ana@example.com", requestId);
    expect(told?.body.html).toContain("Too expensive &lt;b&gt;for now&lt;/b&gt;");
    expect(told?.body.html).not.toContain("<b>for now</b>");
    expect(rejected.instanceId).toBeUndefined();
  });

  it("lets only the first decision win: the other approver's link is refused afterwards", async () => {
    const { requestId, links } = await submitAndGetLinks(stack);
    const [bossEmail] = await waitForEmails(stack, "boss@example.com", requestId);
    const bossLinks = decisionLinks(bossEmail as NonNullable<typeof bossEmail>);

    expect((await decide(links.approve)).status).toBe(200);
    const late = await decide(bossLinks.reject, { reason: "no" });

    expect(late.status).toBe(410);
    const view = await waitForStatus(stack, requestId, "PROVISIONED");
    expect(view.decision).toMatchObject({ outcome: "APPROVED", approver: "approver@example.com" });
  });

  it("refuses tampered tokens, a token used on another request's link, and replays", async () => {
    const first = await submitAndGetLinks(stack);
    const second = await submitAndGetLinks(stack);

    const flipped = withToken(
      first.links.approve,
      (token) => token.slice(0, -2) + (token.endsWith("AA") ? "BB" : "AA"),
    );
    expect((await fetch(flipped)).status).toBe(403);
    expect((await decide(flipped)).status).toBe(403);
    expect((await fetch(withToken(first.links.approve, () => "garbage"))).status).toBe(403);
    expect((await fetch(withToken(first.links.approve, () => ""))).status).toBe(400);

    // An approve token presented on the reject path is a different action: refused.
    const approveToken = new URL(first.links.approve).searchParams.get("token") ?? "";
    const crossed = withToken(first.links.reject, () => approveToken);
    expect((await decide(crossed)).status).toBe(403);

    expect((await decide(second.links.approve)).status).toBe(200);
    const replay = await decide(second.links.approve);
    expect(replay.status).toBe(410);

    expect((await getRequest(stack, first.requestId))?.status).toBe("PENDING_APPROVAL");
  });

  it("refuses a cross-site POST even with a valid token", async () => {
    const { requestId, links } = await submitAndGetLinks(stack);

    const forged = await decide(links.approve, { origin: "https://evil.example", siteHeader: "cross-site" });

    expect(forged.status).toBe(403);
    expect((await getRequest(stack, requestId))?.status).toBe("PENDING_APPROVAL");
  });

  it("never asks the requester to approve their own request", async () => {
    const submitted = await submit(
      stack,
      validRequest({ requester: { email: "Approver@Example.com", name: "Self" } }),
      {},
      SELF_APPROVER.email,
    );
    const requestId = String(submitted.body.requestId);

    const [bossEmail] = await waitForEmails(stack, "boss@example.com", requestId);
    expect(bossEmail).toBeDefined();
    await waitForStatus(stack, requestId, "PENDING_APPROVAL");
    const view = await getRequest(stack, requestId);
    expect((view?.approvers as string[] | undefined) ?? []).not.toContain("approver@example.com");
    const selfEmails = (await emailsTo(stack, "approver@example.com", requestId)).filter((email) =>
      (email.body.html ?? "").includes("/decisions/"),
    );
    expect(selfEmails).toEqual([]);
  });

  it("sends decision pages with the security headers and escapes request text", async () => {
    const { links } = await submitAndGetLinks(
      stack,
      validRequest({ justification: `<script>alert("x")</script> & <img src=x onerror=alert(1)>` }),
    );

    const page = await fetch(links.approve);
    const html = await page.text();

    expect(page.headers.get("cache-control")).toContain("no-store");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("<img src=x");
    expect(html).toContain("&lt;script&gt;");
  });
});
