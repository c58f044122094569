import type { Subscription } from "../../shared/manifest.ts";

/** Slack messages that ask approvers, and their updates as votes are counted and the approval ends. */
export const approverSubscriptions: Subscription[] = [];
