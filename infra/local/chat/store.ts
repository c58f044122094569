import { join } from "node:path";
import { LineJournal } from "../line-journal.ts";

/** What the stand-ins keep: every Slack message with its edits, ephemerals, views and Teams cards. */

export interface SlackContent {
  text?: string;
  blocks?: unknown[];
}

export interface SlackMessage extends SlackContent {
  channel: string;
  ts: string;
  postedAt: string;
  updatedAt?: string;
  /** The earlier contents, oldest first, each with when it was replaced. */
  history: (SlackContent & { replacedAt: string })[];
}

export interface SlackEphemeral extends SlackContent {
  channel: string;
  /** The member id it was shown to. */
  user: string;
  ts: string;
  at: string;
}

export interface SlackView {
  id: string;
  /** The member id whose click opened it. */
  user: string;
  /** The conversation of the message whose button was pressed. */
  channel: string;
  view: Record<string, unknown>;
  openedAt: string;
}

export interface TeamsCard {
  id: string;
  at: string;
  /** The webhook request's body: `{type: "message", attachments: [...]}`. */
  body: { type: "message"; attachments: { contentType: string; content: Record<string, unknown> }[] };
}

type ChatRecord =
  | { type: "slack-posted"; message: Omit<SlackMessage, "history" | "updatedAt"> }
  | { type: "slack-updated"; channel: string; ts: string; content: SlackContent; at: string }
  | { type: "slack-ephemeral"; ephemeral: SlackEphemeral }
  | { type: "slack-view-opened"; view: SlackView }
  | { type: "slack-view-closed"; id: string }
  | { type: "teams-card"; card: TeamsCard };

const keyOf = (channel: string, ts: string) => `${channel}/${ts}`;

/** Slack's message timestamp: seconds, a dot and six digits, here the microseconds of the clock. */
const tsOf = (microseconds: number) =>
  `${Math.floor(microseconds / 1e6)}.${String(microseconds % 1e6).padStart(6, "0")}`;
const microsecondsOf = (ts: string) => {
  const [seconds = "0", fraction = "0"] = ts.split(".");
  return Number(seconds) * 1e6 + Number(fraction.padEnd(6, "0"));
};

/**
 * The stand-ins' state, rebuilt from `chat.ndjson` under the data directory on start; every change is
 * journaled (flushed) before it is applied, so what a caller was answered survives a kill -9.
 */
export class ChatStore {
  private readonly journal: LineJournal<ChatRecord>;
  private readonly messages = new Map<string, SlackMessage>();
  private ephemerals: SlackEphemeral[] = [];
  private readonly views = new Map<string, SlackView>();
  private cards: TeamsCard[] = [];
  private lastTs = 0;

  constructor(
    dataDir: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.journal = LineJournal.open<ChatRecord>(join(dataDir, "chat.ndjson"), "a chat record");
    for (const record of this.journal.records) this.apply(record);
  }

  /** A timestamp later than every one handed out, in this run or before it. */
  private nextTs(): string {
    this.lastTs = Math.max(this.lastTs + 1, this.now().getTime() * 1000);
    return tsOf(this.lastTs);
  }

  at(): string {
    return this.now().toISOString();
  }

  post(channel: string, content: SlackContent): SlackMessage {
    const ts = this.nextTs();
    this.record({ type: "slack-posted", message: { channel, ts, postedAt: this.at(), ...content } });
    return this.messages.get(keyOf(channel, ts)) as SlackMessage;
  }

  message(channel: string, ts: string): SlackMessage | undefined {
    return this.messages.get(keyOf(channel, ts));
  }

  update(channel: string, ts: string, content: SlackContent): SlackMessage {
    this.record({ type: "slack-updated", channel, ts, content, at: this.at() });
    return this.messages.get(keyOf(channel, ts)) as SlackMessage;
  }

  postEphemeral(channel: string, user: string, content: SlackContent): SlackEphemeral {
    const ephemeral = { channel, user, ts: this.nextTs(), at: this.at(), ...content };
    this.record({ type: "slack-ephemeral", ephemeral });
    return ephemeral;
  }

  openView(view: SlackView): void {
    this.record({ type: "slack-view-opened", view });
  }

  view(id: string): SlackView | undefined {
    return this.views.get(id);
  }

  closeView(id: string): void {
    this.record({ type: "slack-view-closed", id });
  }

  addCard(card: TeamsCard): void {
    this.record({ type: "teams-card", card });
  }

  slack() {
    return {
      messages: [...this.messages.values()],
      ephemerals: [...this.ephemerals],
      views: [...this.views.values()],
    };
  }

  teams(): TeamsCard[] {
    return [...this.cards];
  }

  clear(): void {
    this.journal.clear();
    this.messages.clear();
    this.views.clear();
    this.ephemerals = [];
    this.cards = [];
  }

  close(): void {
    this.journal.close();
  }

  private record(record: ChatRecord): void {
    this.journal.append(record);
    this.apply(record);
  }

  private apply(record: ChatRecord): void {
    switch (record.type) {
      case "slack-posted":
        this.messages.set(keyOf(record.message.channel, record.message.ts), {
          ...record.message,
          history: [],
        });
        this.lastTs = Math.max(this.lastTs, microsecondsOf(record.message.ts));
        break;
      case "slack-updated": {
        const message = this.messages.get(keyOf(record.channel, record.ts));
        if (!message) break;
        message.history.push({ text: message.text, blocks: message.blocks, replacedAt: record.at });
        message.text = record.content.text;
        message.blocks = record.content.blocks;
        message.updatedAt = record.at;
        break;
      }
      case "slack-ephemeral":
        this.ephemerals.push(record.ephemeral);
        this.lastTs = Math.max(this.lastTs, microsecondsOf(record.ephemeral.ts));
        break;
      case "slack-view-opened":
        this.views.set(record.view.id, record.view);
        break;
      case "slack-view-closed":
        this.views.delete(record.id);
        break;
      case "teams-card":
        this.cards.push(record.card);
        break;
    }
  }
}
