import type { Subscription } from "../../shared/manifest.ts";

/** The requester's news as Slack direct messages, and the Teams channel's cards. */
export const newsSubscriptions: Subscription[] = [];
