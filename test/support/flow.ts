import { sampleRequestContent } from "./fixtures.ts";
import type { MailboxEmail, StackUnderTest } from "./stack.ts";

/** A request body as the portal posts it; `overrides` replaces whole fields, valid or not. */
export const validRequest = (overrides: Record<string, unknown> = {}) => ({
  ...sampleRequestContent(),
  ...overrides,
});

export const submit = async (stack: StackUnderTest, body: unknown, headers: Record<string, string> = {}) => {
  const response = await fetch(`${stack.portalUrl}/api/requests`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

export interface RequestView {
  requestId: string;
  status: string;
  instanceId?: string;
  privateIp?: string;
  decision?: { outcome: string; approver?: string; reason?: string };
  fieldErrors?: { field: string; message: string }[];
  timeline: {
    eventId: string;
    type: string;
    time: string;
    source: string;
    detail: Record<string, unknown>;
  }[];
  [key: string]: unknown;
}

export const getRequest = async (
  stack: StackUnderTest,
  requestId: string,
): Promise<RequestView | undefined> => {
  const response = await fetch(`${stack.portalUrl}/api/requests/${encodeURIComponent(requestId)}`);
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`GET request ${requestId}: ${response.status} ${await response.text()}`);
  return (await response.json()) as RequestView;
};

export const waitForStatus = (stack: StackUnderTest, requestId: string, status: string, timeoutMs?: number) =>
  stack.eventually(
    () => getRequest(stack, requestId),
    (view) => view?.status === status,
    timeoutMs,
  ) as Promise<RequestView>;

export const emailsTo = async (
  stack: StackUnderTest,
  address: string,
  about?: string,
): Promise<MailboxEmail[]> =>
  (await stack.emails()).filter(
    (email) =>
      email.destination.to.some((to) => to.toLowerCase() === address.toLowerCase()) &&
      (about === undefined || `${email.subject}\n${email.body.text ?? ""}`.includes(about)),
  );

export const waitForEmails = (stack: StackUnderTest, address: string, about: string, count = 1) =>
  stack.eventually(
    () => emailsTo(stack, address, about),
    (emails) => emails.length >= count,
  );

/** The approve and reject links of an approval email, from its HTML as a mail client would show it. */
export const decisionLinks = (email: MailboxEmail) => {
  const links = [...(email.body.html ?? "").matchAll(/href="([^"]+)"/g)].map((match) =>
    (match[1] ?? "").replaceAll("&amp;", "&"),
  );
  const approve = links.find((link) => /\/approve\b/.test(new URL(link).pathname));
  const reject = links.find((link) => /\/reject\b/.test(new URL(link).pathname));
  if (!approve || !reject) throw new Error(`No approve/reject links in email: ${email.body.html}`);
  return { approve, reject };
};

export interface DecisionForm {
  action: string;
  fields: Record<string, string>;
  submitName?: string;
  submitValue?: string;
}

const decodeEntities = (value: string) =>
  value
    .replaceAll("&quot;", '"')
    .replaceAll("&#39;", "'")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");

const attribute = (tag: string, name: string) => {
  const match = new RegExp(`\\b${name}="([^"]*)"`).exec(tag);
  return match ? decodeEntities(match[1] ?? "") : undefined;
};

/** Reads the confirmation page's form as a browser would submit it: hidden fields and the submit button. */
export const parseDecisionForm = (pageUrl: string, html: string): DecisionForm => {
  const form = /<form\b[^>]*method="post"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) throw new Error(`No POST form on the page: ${html.slice(0, 2000)}`);
  const formTag = /<form\b[^>]*>/i.exec(form[0])?.[0] ?? "";
  const fields: Record<string, string> = {};
  for (const [input] of (form[1] ?? "").matchAll(/<input\b[^>]*>/gi)) {
    const name = attribute(input, "name");
    if (name && attribute(input, "type") === "hidden") fields[name] = attribute(input, "value") ?? "";
  }
  const button =
    /<button\b[^>]*type="submit"[^>]*>/i.exec(form[1] ?? "")?.[0] ??
    /<button\b[^>]*>/i.exec(form[1] ?? "")?.[0];
  return {
    action: new URL(attribute(formTag, "action") ?? pageUrl, pageUrl).toString(),
    fields,
    submitName: button ? attribute(button, "name") : undefined,
    submitValue: button ? attribute(button, "value") : undefined,
  };
};

/** Opens a decision link and presses its button, as an approver's browser would (same-origin POST). */
export const decide = async (
  link: string,
  options: { reason?: string; origin?: string; siteHeader?: string } = {},
) => {
  const page = await fetch(link);
  const html = await page.text();
  if (page.status !== 200) return { status: page.status, html };
  const form = parseDecisionForm(link, html);
  const body = new URLSearchParams(form.fields);
  if (form.submitName) body.set(form.submitName, form.submitValue ?? "");
  if (options.reason !== undefined) body.set("reason", options.reason);
  const origin = options.origin ?? new URL(link).origin;
  const response = await fetch(form.action, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      origin,
      "sec-fetch-site":
        options.siteHeader ?? (origin === new URL(link).origin ? "same-origin" : "cross-site"),
    },
    body,
    redirect: "manual",
  });
  return { status: response.status, html: await response.text(), headers: response.headers };
};
