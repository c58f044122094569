import type { Group } from "../../api/access.ts";
import { exchangeCode, signInAsLocalUser } from "../../infra/local/identity/sign-in-client.ts";
import { sampleRequest, sampleRequestContent } from "./fixtures.ts";
import type { MailboxEmail, StackUnderTest } from "./stack.ts";

/** A request body as a system posts it, its requester named; `overrides` replaces whole fields, valid or not. */
export const validRequest = (overrides: Record<string, unknown> = {}) => ({
  ...sampleRequestContent(),
  ...overrides,
});

export interface LocalUser {
  email: string;
  name: string;
  groups: Group[];
}

/** The fixtures' requester, who submits by default: a local user of every stack that submits over HTTP. */
export const ANA: LocalUser = { ...sampleRequest().requester, name: "Ana", groups: ["requesters"] };

/** Local mode's default users (see LOCAL_USERS in the README). */
export const OPERATOR_EMAIL = "operator@example.com";
const DEFAULT_USERS: LocalUser[] = [
  { email: "requester@example.com", name: "Riley Requester", groups: ["requesters"] },
  { email: "approver@example.com", name: "Avery Approver", groups: ["approvers"] },
  { email: "approver2@example.com", name: "Alex Approver", groups: ["approvers"] },
  { email: OPERATOR_EMAIL, name: "Oakley Operator", groups: ["operators"] },
];

/**
 * The LOCAL_USERS of a stack the flow is driven on: the defaults, Ana, and `users`, who replace a
 * default of the same email (e.g. an approver who also files requests).
 */
export const localUsersEnv = (...users: LocalUser[]) => {
  const all = [...DEFAULT_USERS, ANA, ...users];
  const byEmail = new Map(all.map((user) => [user.email.toLowerCase(), user]));
  return { LOCAL_USERS: JSON.stringify([...byEmail.values()]) };
};

const signedInTokens = new WeakMap<StackUnderTest, Map<string, Promise<string>>>();

/**
 * An access token of the local user `email`, signed in at the stack's own provider through the real
 * protocol once per stack and user (a token lives an hour, longer than any test).
 */
export const accessTokenOf = (stack: StackUnderTest, email: string): Promise<string> => {
  const tokens = signedInTokens.get(stack) ?? new Map<string, Promise<string>>();
  signedInTokens.set(stack, tokens);
  const key = email.toLowerCase();
  let token = tokens.get(key);
  if (!token) {
    const idpUrl = `http://localhost:${stack.ports.identity}`;
    token = signInAsLocalUser({ idpUrl, email })
      .then(exchangeCode)
      .then((tokenResponse) => tokenResponse.access_token);
    // A failed sign-in is not kept: the next call tries again.
    token.catch(() => tokens.delete(key));
    tokens.set(key, token);
  }
  return token;
};

/** The Authorization header of the local user `email` on this stack. */
export const signedInAs = async (stack: StackUnderTest, email: string) => ({
  authorization: `Bearer ${await accessTokenOf(stack, email)}`,
});

/** A signed-in user of the stack, calling its API with their access token. */
export const signedInCaller = async (stack: StackUnderTest, email: string) => {
  const headers = await signedInAs(stack, email);
  const call = async (method: "GET" | "POST", path: string, body?: unknown) => {
    const response = await fetch(`${stack.portalUrl}${path}`, {
      method,
      headers: { ...headers, ...(body !== undefined && { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return {
    email,
    get: (path: string) => call("GET", path),
    post: (path: string, body?: unknown) => call("POST", path, body),
  };
};

/** Posts a request as the local user `as` (Ana, the fixtures' requester, unless a test acts as someone else). */
export const submit = async (
  stack: StackUnderTest,
  body: unknown,
  headers: Record<string, string> = {},
  as: string = ANA.email,
) => {
  const response = await fetch(`${stack.portalUrl}/api/requests`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(await signedInAs(stack, as)), ...headers },
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

/**
 * A request as `as` sees it. Tests follow the flow as an operator by default, who sees every request,
 * those other systems publish among them (their requesters are no local users); who sees what is
 * test/integration/access.test.ts's subject.
 */
export const getRequest = async (
  stack: StackUnderTest,
  requestId: string,
  as: string = OPERATOR_EMAIL,
): Promise<RequestView | undefined> => {
  const response = await fetch(`${stack.portalUrl}/api/requests/${encodeURIComponent(requestId)}`, {
    headers: await signedInAs(stack, as),
  });
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

/** Every link of an email, from its HTML as a mail client would show it. */
export const linksIn = (email: MailboxEmail) =>
  [...(email.body.html ?? "").matchAll(/href="([^"]+)"/g)].map((match) =>
    (match[1] ?? "").replaceAll("&amp;", "&"),
  );

/** The approve and reject links of an approval email. */
export const decisionLinks = (email: MailboxEmail) => {
  const links = linksIn(email);
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
