import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ANA,
  emailsTo,
  getRequest,
  localUsersEnv,
  submit,
  validRequest,
  waitForEmails,
  waitForStatus,
} from "../support/flow.ts";
import { type StackUnderTest, startStack } from "../support/stack.ts";

type Body = ReturnType<typeof validRequest>;

const cases: { name: string; mutate: (body: Body) => unknown; field: string }[] = [
  {
    name: "a malformed requester email",
    mutate: (b) => ({ ...b, requester: { email: "ana" } }),
    field: "requester.email",
  },
  {
    name: "a header injection in the requester email",
    mutate: (b) => ({ ...b, requester: { email: "ana@example.com\r\nBcc: victim@example.com" } }),
    field: "requester.email",
  },
  {
    name: "a requester other than the signed-in user",
    mutate: (b) => ({ ...b, requester: { email: "approver+me@example.com" } }),
    field: "requester",
  },
  {
    name: "an unknown resource type",
    mutate: (b) => ({ ...b, resource: { ...b.resource, type: "lambda" } }),
    field: "resource.type",
  },
  {
    name: "an instance type outside the allowed list",
    mutate: (b) => ({ ...b, resource: { ...b.resource, instanceType: "p5.48xlarge" } }),
    field: "resource.instanceType",
  },
  {
    name: "an unknown OS",
    mutate: (b) => ({ ...b, resource: { ...b.resource, os: "plan9" } }),
    field: "resource.os",
  },
  {
    name: "a volume below 8 GiB",
    mutate: (b) => ({ ...b, resource: { ...b.resource, volume: { sizeGiB: 7, type: "gp3" } } }),
    field: "resource.volume.sizeGiB",
  },
  {
    name: "a volume above 16384 GiB",
    mutate: (b) => ({ ...b, resource: { ...b.resource, volume: { sizeGiB: 16385, type: "gp3" } } }),
    field: "resource.volume.sizeGiB",
  },
  {
    name: "a fractional volume size",
    mutate: (b) => ({ ...b, resource: { ...b.resource, volume: { sizeGiB: 20.5, type: "gp3" } } }),
    field: "resource.volume.sizeGiB",
  },
  {
    name: "an unknown volume type",
    mutate: (b) => ({ ...b, resource: { ...b.resource, volume: { sizeGiB: 20, type: "floppy" } } }),
    field: "resource.volume.type",
  },
  {
    name: "a private IP that is not IPv4",
    mutate: (b) => ({ ...b, resource: { ...b.resource, privateIp: "10.0.0.256" } }),
    field: "resource.privateIp",
  },
  {
    name: "a malformed subnet id",
    mutate: (b) => ({ ...b, resource: { ...b.resource, subnetId: "subnet_1" } }),
    field: "resource.subnetId",
  },
  { name: "an empty justification", mutate: (b) => ({ ...b, justification: "  " }), field: "justification" },
  {
    name: "a justification over 2,000 characters",
    mutate: (b) => ({ ...b, justification: "x".repeat(2001) }),
    field: "justification",
  },
  {
    name: "a carriage return in the justification, forging a line of the email",
    mutate: (b) => ({ ...b, justification: "Load tests\rApproved by: security team" }),
    field: "justification",
  },
  {
    name: "a control character in the justification",
    mutate: (b) => ({ ...b, justification: "Load tests\u0007" }),
    field: "justification",
  },
  {
    name: "a requestId with bad characters",
    mutate: (b) => ({ ...b, requestId: "a/b" }),
    field: "requestId",
  },
  {
    name: "a requestId over 64 characters",
    mutate: (b) => ({ ...b, requestId: "a".repeat(65) }),
    field: "requestId",
  },
  {
    name: "a requestId that would pass for a refusal's",
    mutate: (b) => ({ ...b, requestId: "refused-0123456789abcdef0123456789abcdef" }),
    field: "requestId",
  },
];

describe("bad input over HTTP", () => {
  let stack: StackUnderTest;
  beforeAll(async () => {
    stack = await startStack({ env: localUsersEnv() });
  });
  afterAll(() => stack?.destroy());

  it.each(cases)("answers 400 naming the field for $name, and stores nothing", async ({ mutate, field }) => {
    const requestId = `input-${Math.random().toString(36).slice(2)}`;
    const body = mutate({ ...validRequest(), requestId } as Body);

    const response = await submit(stack, body);

    expect(response.status).toBe(400);
    const fields = (response.body.fieldErrors as { field: string }[]).map((error) => error.field);
    expect(fields).toContain(field);
    if (field !== "requestId") expect(await getRequest(stack, requestId)).toBeUndefined();
  });

  it("answers 400 for a body that is not JSON, and 413 for a huge one, and goes on serving", async () => {
    expect((await submit(stack, "{not json")).status).toBe(400);
    expect(
      (await submit(stack, JSON.stringify({ ...validRequest(), justification: "x".repeat(300_000) }))).status,
    ).toBe(413);
    expect((await submit(stack, validRequest())).status).toBe(202);
  });

  it("gives the same answer to an exact repeat and 409 to another body under the same id", async () => {
    const requestId = `repeat-${Date.now()}`;
    const first = await submit(stack, validRequest({ requestId }));
    const repeat = await submit(stack, validRequest({ requestId }));
    const conflicting = await submit(stack, validRequest({ requestId, justification: "something else" }));

    expect(first).toEqual({ status: 202, body: { requestId, status: "SUBMITTED" } });
    expect(repeat).toEqual(first);
    expect(conflicting.status).toBe(409);
    expect(JSON.stringify(conflicting.body)).toContain("requestId");
  });

  it("answers 409 to another user reusing an id, naming the field but not whose request it is, and the request's timeline stays as it was", async () => {
    const requestId = `taken-${Date.now()}`;
    expect((await submit(stack, validRequest({ requestId }))).status).toBe(202);
    await waitForStatus(stack, requestId, "PENDING_APPROVAL");
    // The original's flow settles first (its approval mail is out), so its timeline has stopped growing.
    await waitForEmails(stack, "approver@example.com", requestId);
    const original = await stack.eventually(
      () => getRequest(stack, requestId),
      (view) => view?.timeline.some((entry) => entry.type === "ApprovalRequested") === true,
    );
    const { requester: _ana, ...withoutRequester } = validRequest({ requestId, justification: "Mine now" });

    const conflicting = await submit(stack, withoutRequester, {}, "requester@example.com");

    expect(conflicting.status).toBe(409);
    expect(conflicting.body.fieldErrors).toEqual([{ field: "requestId", message: expect.any(String) }]);
    expect(JSON.stringify(conflicting.body)).not.toContain(ANA.email);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await getRequest(stack, requestId))?.timeline).toEqual(original?.timeline);
  });

  it("keeps markup in free text as text in every email and page", async () => {
    const markup = `<img src=x onerror=alert(1)> "quoted" & <b>bold</b>`;
    const submitted = await submit(
      stack,
      validRequest({ justification: markup, requester: { email: "ana@example.com", name: "<i>Ana</i>" } }),
    );
    const requestId = String(submitted.body.requestId);

    const [approval] = await waitForEmails(stack, "approver@example.com", requestId);
    const html = approval?.body.html ?? "";
    expect(html).not.toContain("<img src=x");
    expect(html).not.toContain("<i>Ana</i>");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(approval?.body.text).toContain(markup);
    expect(approval?.subject).not.toMatch(/[\r\n]/);
    const view = await getRequest(stack, requestId);
    expect(view?.justification).toBe(markup);
    expect((await emailsTo(stack, "victim@example.com")).length).toBe(0);
  });
});
