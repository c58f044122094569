import { createHash } from "node:crypto";
import type { LocalUser } from "../identity/users.ts";

/**
 * The stand-in's Slack workspace: one member per local user, a direct message with each, and the
 * public channel #approvals. Ids are shaped like Slack's and the same for the same email across
 * restarts and data directories, so a message's recipient stays recognisable.
 */

export const TEAM = { id: "T0LOCAL", domain: "approvals-local", name: "Approvals (local)" } as const;
export const APPROVALS_CHANNEL = { id: "C0APPROVALS", name: "approvals" } as const;
/** The app's bot user, the author of every message the services post. */
export const BOT = {
  userId: "U0LOCALBOT",
  botId: "B0LOCALBOT",
  appId: "A0LOCALAPP",
  name: "approvals",
} as const;

export interface SlackMember {
  id: string;
  email: string;
  name: string;
  /** The direct message between the app and this member. */
  dmChannel: string;
}

const idHexOf = (email: string) =>
  createHash("sha256").update(email.toLowerCase()).digest("hex").slice(0, 10).toUpperCase();

export const memberOf = (user: LocalUser): SlackMember => {
  const hex = idHexOf(user.email);
  return { id: `U${hex}`, email: user.email.toLowerCase(), name: user.name, dmChannel: `D${hex}` };
};

/** Slack's `users.info` / `users.lookupByEmail` user object. */
export const slackUserObject = (member: SlackMember) => ({
  id: member.id,
  team_id: TEAM.id,
  name: member.email.split("@")[0],
  real_name: member.name,
  deleted: false,
  is_bot: false,
  // Each local user is a confirmed member of this workspace, as decision requires of whoever decides.
  is_stranger: false,
  is_email_confirmed: true,
  profile: { email: member.email, real_name: member.name, display_name: member.name },
});

/** Where a message lands: a member's direct message or the channel. */
export type Conversation =
  | { kind: "dm"; id: string; member: SlackMember }
  | { kind: "channel"; id: string; name: string };

export class Workspace {
  readonly members: readonly SlackMember[];

  constructor(users: readonly LocalUser[]) {
    this.members = users.map(memberOf);
  }

  memberById(id: string): SlackMember | undefined {
    return this.members.find((member) => member.id === id);
  }

  memberByEmail(email: string): SlackMember | undefined {
    return this.members.find((member) => member.email === email.toLowerCase());
  }

  /** A conversation by its id only, as chat.update and chat.delete require. */
  conversationById(id: string): Conversation | undefined {
    if (id === APPROVALS_CHANNEL.id) return { kind: "channel", ...APPROVALS_CHANNEL };
    const member = this.members.find((candidate) => candidate.dmChannel === id);
    return member && { kind: "dm", id, member };
  }

  /** What chat.postMessage accepts as `channel`: a conversation id, a `#name`, or a member's id (their DM). */
  conversationOf(channel: string): Conversation | undefined {
    if (channel === `#${APPROVALS_CHANNEL.name}`) return this.conversationById(APPROVALS_CHANNEL.id);
    const member = this.memberById(channel);
    if (member) return { kind: "dm", id: member.dmChannel, member };
    return this.conversationById(channel);
  }
}
