import { isPlainObject } from "../../../events/request-id.ts";
import { html, SafeHtml } from "../../../services/shared/html.ts";
import type { SlackEphemeral, SlackMessage, SlackView, TeamsCard } from "./store.ts";
import { APPROVALS_CHANNEL, type Workspace } from "./workspace.ts";

/**
 * The stand-ins' pages on the mailbox port: Slack's conversations with their Block Kit and working
 * buttons, and the Teams cards. Server-rendered; a little script presses buttons, submits modals and
 * reloads when what the JSON routes show has changed, as the mailbox's viewer polls its store.
 */

type Tab = "Email" | "Slack" | "Teams";
const TABS: [Tab, string][] = [
  ["Email", "/"],
  ["Slack", "/slack"],
  ["Teams", "/teams"],
];

/** The tabs every page of the mailbox port shows, the mailbox's own page included. */
export const tabs = (active: Tab): SafeHtml =>
  html`<nav class="local-chat-tabs" style="font:14px system-ui,sans-serif;padding:8px 12px;border-bottom:1px solid #ccc">${TABS.map(
    ([name, href], index) =>
      html`${index > 0 && " | "}${
        name === active
          ? html`<strong aria-current="page">${name}</strong>`
          : html`<a href="${href}">${name}</a>`
      }`,
  )}</nav>`;

/** The mailbox's page with the tabs at the top of its body. */
export const withTabs = (mailboxPage: string): string =>
  mailboxPage.replace(/<body[^>]*>/, (body) => `${body}${tabs("Email").value}`);

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d1c1d}
main{padding:12px;display:grid;gap:16px;grid-template-columns:repeat(auto-fill,minmax(420px,1fr))}
section.conversation{border:1px solid #ddd;border-radius:6px;padding:8px}
section.conversation>h2{font-size:15px;margin:0 0 8px}
.message{border-top:1px solid #eee;padding:6px 0}
.meta{color:#616061;font-size:12px}
.fields{display:grid;grid-template-columns:1fr 1fr;gap:4px 12px}
.context{color:#616061;font-size:12px}
.actions{display:flex;gap:8px;flex-wrap:wrap;margin:4px 0}
button.primary{background:#007a5a;color:#fff}button.danger{background:#e01e5a;color:#fff}
.ephemeral{background:#f8f8f8;border-left:3px solid #1264a3;padding:4px 8px;margin:4px 0}
.views{position:fixed;right:16px;bottom:16px;display:grid;gap:8px}
.view{background:#fff;border:1px solid #999;border-radius:6px;padding:12px;width:380px;box-shadow:0 4px 16px #0003}
.error{color:#e01e5a;display:block}
#status{padding:4px 12px;color:#1264a3}
.card{border:1px solid #ddd;border-radius:6px;padding:8px;margin:8px 12px}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}.columns{display:flex;gap:12px}
`;

/** A link's target when it is a web address: anything else (`javascript:`) is shown as text, never followed. */
const webAddress = (value: unknown): string | undefined =>
  typeof value === "string" && /^https?:\/\//i.test(value) ? value : undefined;

const link = (href: string, label: string): SafeHtml =>
  html`<a href="${href}" target="_blank" rel="noopener">${label}</a>`;

const MRKDWN_ENTITIES: Record<string, string> = { "&lt;": "<", "&gt;": ">", "&amp;": "&" };

/**
 * The text a mrkdwn part stands for: the services escape `<`, `>` and `&` as Slack asks, and the page
 * escapes it again for HTML, so without this `&lt;` would show literally. One pass: `&amp;lt;` is `&lt;`.
 */
const unescapeMrkdwn = (text: string): string =>
  text.replace(/&(?:lt|gt|amp);/g, (entity) => MRKDWN_ENTITIES[entity] ?? entity);

/** Slack's mrkdwn, the little of it the services write: links, *bold*, _italic_, ~strike~, line breaks. */
const mrkdwn = (text: string): SafeHtml => {
  // Split before unescaping: only Slack's own `<...>` are links, never an escaped `&lt;...&gt;`.
  const parts = text.split(/(<[^<>]+>)/);
  return html`${parts.map((part) => {
    const [, href, label] = /^<(https?:\/\/[^|>]+)(?:\|([^>]+))?>$/.exec(part) ?? [];
    if (href) return link(unescapeMrkdwn(href), unescapeMrkdwn(label ?? href));
    // Markup only around text HTML-escaped here, which holds no `<` of its own.
    return new SafeHtml(
      html`${unescapeMrkdwn(part)}`.value
        .replace(/\*([^*\n]+)\*/g, "<b>$1</b>")
        .replace(/(^|\s)_([^_\n]+)_/g, "$1<i>$2</i>")
        .replace(/~([^~\n]+)~/g, "<s>$1</s>")
        .replace(/\n/g, "<br>"),
    );
  })}`;
};

type Json = Record<string, unknown>;
const objects = (value: unknown): Json[] => (Array.isArray(value) ? value.filter(isPlainObject) : []);
const textOf = (value: unknown): string =>
  isPlainObject(value) && typeof value.text === "string"
    ? value.text
    : typeof value === "string"
      ? value
      : "";

/** A text object: mrkdwn or plain_text. */
const textObject = (value: unknown): SafeHtml =>
  isPlainObject(value) && value.type === "mrkdwn" ? mrkdwn(textOf(value)) : html`${textOf(value)}`;

/** A button: one with a `url` is a link; any other is pressed through the stand-in. */
const element = (value: Json): SafeHtml => {
  if (value.type === "button") {
    const url = webAddress(value.url);
    if (url) return link(url, textOf(value.text));
    return html`<button type="button" class="${typeof value.style === "string" ? value.style : ""}" data-action-id="${String(value.action_id ?? "")}">${textOf(value.text)}</button>`;
  }
  if (value.type === "image") return html`<span class="meta">[image: ${String(value.alt_text ?? "")}]</span>`;
  if (value.type === "mrkdwn" || value.type === "plain_text") return textObject(value);
  return html`<span class="meta">[${String(value.type)}]</span>`;
};

const input = (block: Json): SafeHtml => {
  const field = isPlainObject(block.element) ? block.element : {};
  const name = `${String(block.block_id ?? "")}/${String(field.action_id ?? "")}`;
  return html`<label data-block-id="${String(block.block_id ?? "")}">${textOf(block.label)}<br>${
    field.multiline
      ? html`<textarea name="${name}" rows="3" cols="40"></textarea>`
      : html`<input name="${name}">`
  }<span class="error"></span></label>`;
};

export const renderBlock = (block: Json): SafeHtml => {
  switch (block.type) {
    case "header":
      return html`<h3>${textOf(block.text)}</h3>`;
    case "divider":
      return html`<hr>`;
    case "section":
      return html`<div class="section">${block.text !== undefined && html`<div>${textObject(block.text)}</div>`}${
        Array.isArray(block.fields) &&
        html`<div class="fields">${objects(block.fields).map((field) => html`<div>${textObject(field)}</div>`)}</div>`
      }${isPlainObject(block.accessory) && html`<div class="actions">${element(block.accessory)}</div>`}</div>`;
    case "context":
      return html`<div class="context">${objects(block.elements).map(element)}</div>`;
    case "actions":
      return html`<div class="actions">${objects(block.elements).map(element)}</div>`;
    case "input":
      return input(block);
    case "image":
      return element(block);
    default:
      return html`<div class="meta">[${String(block.type)} block]</div>`;
  }
};

const content = (item: { text?: string; blocks?: unknown[] }): SafeHtml =>
  item.blocks && item.blocks.length > 0
    ? html`${objects(item.blocks).map(renderBlock)}`
    : mrkdwn(item.text ?? "");

const message = (item: SlackMessage): SafeHtml =>
  html`<div class="message" data-ts="${item.ts}"><div class="meta">Approvals app · ${item.postedAt}${
    item.updatedAt && html` · edited ${item.updatedAt}`
  }</div>${content(item)}</div>`;

const ephemeral = (item: SlackEphemeral, shownTo: string): SafeHtml =>
  html`<div class="ephemeral"><div class="meta">Only visible to ${shownTo} · ${item.at}</div>${content(item)}</div>`;

const view = (item: SlackView, shownTo: string): SafeHtml =>
  html`<form class="view" data-view-id="${item.id}"><div class="meta">${shownTo}</div><h3>${textOf(item.view.title)}</h3>${objects(
    item.view.blocks,
  ).map(
    renderBlock,
  )}<div class="actions"><button type="submit" class="primary">${textOf(item.view.submit) || "Submit"}</button><button type="button" data-close>${textOf(item.view.close) || "Cancel"}</button></div></form>`;

const SLACK_SCRIPT = `
const status = document.getElementById("status");
status.textContent = sessionStorage.getItem("slack-status") ?? "";
sessionStorage.removeItem("slack-status");
// Who presses in the channel stays chosen across the page's reloads.
for (const as of document.querySelectorAll("select[name=as]")) {
  as.value = sessionStorage.getItem("slack-press-as") ?? as.value;
  as.addEventListener("change", () => sessionStorage.setItem("slack-press-as", as.value));
}
const post = async (url, body) => {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return response.json();
};
const settle = (text) => { sessionStorage.setItem("slack-status", text); location.reload(); };
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-action-id]");
  if (button && !button.closest("form")) {
    const conversation = button.closest("[data-channel]");
    const as = conversation.querySelector("select[name=as]");
    const answer = await post("/slack/actions", {
      channel: conversation.dataset.channel,
      ts: button.closest("[data-ts]").dataset.ts,
      actionId: button.dataset.actionId,
      user: as ? as.value : conversation.dataset.user,
    });
    settle("The app answered " + (answer.status ?? "") + " " + (answer.body ?? answer.message ?? ""));
  }
  const close = event.target.closest("button[data-close]");
  if (close) settle((await post("/slack/views/" + close.closest("form").dataset.viewId + "/close", {})).message ?? "");
});
document.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const values = {};
  for (const [name, value] of new FormData(form)) {
    const [block, action] = name.split("/");
    values[block] = { ...values[block], [action]: value };
  }
  const answer = await post("/slack/views/" + form.dataset.viewId + "/submit", { values });
  for (const label of form.querySelectorAll("[data-block-id]"))
    label.querySelector(".error").textContent = answer.errors?.[label.dataset.blockId] ?? "";
  if (!answer.errors) settle("The app answered " + answer.status + " " + answer.body);
});
// The first look is taken at once, so that what changed between rendering and it is all that can be missed.
let seen;
const look = async () => {
  const now = await (await fetch(location.pathname + "/messages")).text();
  if (seen !== undefined && now !== seen && !document.querySelector("form.view textarea:focus, form.view input:focus")) location.reload();
  seen = now;
};
look();
setInterval(look, 2000);
`;

const page = (title: Tab, body: SafeHtml, script: string): string =>
  html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title} (local)</title><style>${new SafeHtml(STYLE)}</style></head><body>${tabs(
    title,
  )}<div id="status" role="status"></div>${body}<script>${new SafeHtml(script)}</script></body></html>`.value;

export const slackPage = (
  workspace: Workspace,
  {
    messages,
    ephemerals,
    views,
  }: { messages: SlackMessage[]; ephemerals: SlackEphemeral[]; views: SlackView[] },
): string => {
  const nameOf = (id: string) => workspace.memberById(id)?.name ?? id;
  const conversations = [
    ...workspace.members.map((member) => ({
      id: member.dmChannel,
      title: html`Direct message · ${member.name} &lt;${member.email}&gt;`,
      owner: member.id,
    })),
    { id: APPROVALS_CHANNEL.id, title: html`#${APPROVALS_CHANNEL.name}`, owner: undefined },
  ];
  return page(
    "Slack",
    html`<main>${conversations.map(
      (conversation) =>
        html`<section class="conversation" data-channel="${conversation.id}" data-user="${conversation.owner ?? ""}"><h2>${conversation.title}</h2>${
          conversation.owner === undefined &&
          html`<label>Press as <select name="as">${workspace.members.map(
            (member) => html`<option value="${member.id}">${member.name} (${member.email})</option>`,
          )}</select></label>`
        }${messages.filter((item) => item.channel === conversation.id).map(message)}${ephemerals
          .filter((item) => item.channel === conversation.id)
          .map((item) => ephemeral(item, nameOf(item.user)))}</section>`,
    )}</main><div class="views">${views.map((item) => view(item, `Opened for ${nameOf(item.user)}`))}</div>`,
    SLACK_SCRIPT,
  );
};

const cardElement = (item: Json): SafeHtml => {
  switch (item.type) {
    case "TextBlock":
      return item.weight === "Bolder" || item.size === "Large" || item.size === "Medium"
        ? html`<p><strong>${textOf(item)}</strong></p>`
        : html`<p>${textOf(item)}</p>`;
    case "FactSet":
      return html`<div class="facts">${objects(item.facts).map((fact) => html`<span>${String(fact.title ?? "")}</span><span>${String(fact.value ?? "")}</span>`)}</div>`;
    case "ColumnSet":
      return html`<div class="columns">${objects(item.columns).map((column) => html`<div>${objects(column.items).map(cardElement)}</div>`)}</div>`;
    case "Container":
      return html`<div>${objects(item.items).map(cardElement)}</div>`;
    case "ActionSet":
      return cardActions(item.actions);
    default:
      return html`<div class="meta">[${String(item.type)}]</div>`;
  }
};

const cardActions = (actions: unknown): SafeHtml =>
  html`<div class="actions">${objects(actions).map((action) => {
    const url = action.type === "Action.OpenUrl" ? webAddress(action.url) : undefined;
    return url
      ? link(url, String(action.title ?? url))
      : html`<span class="meta">[${String(action.type)}] ${String(action.title ?? "")}</span>`;
  })}</div>`;

export const teamsPage = (cards: readonly TeamsCard[]): string =>
  page(
    "Teams",
    html`${cards.length === 0 && html`<p class="card">No cards yet.</p>`}${cards.map(
      (card) =>
        html`<div class="card"><div class="meta">${card.at}</div>${card.body.attachments.map(
          (attachment) =>
            html`${objects(attachment.content.body).map(cardElement)}${cardActions(attachment.content.actions)}`,
        )}</div>`,
    )}`,
    `let seen;
const look = async () => {
  const now = await (await fetch("/teams/messages")).text();
  if (seen !== undefined && now !== seen) location.reload();
  seen = now;
};
look();
setInterval(look, 2000);`,
  );
