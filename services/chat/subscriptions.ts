import type { Subscription } from "../shared/manifest.ts";
import { approverSubscriptions } from "./approvers/subscriptions.ts";
import { newsSubscriptions } from "./news/subscriptions.ts";

export const subscriptions: Subscription[] = [...approverSubscriptions, ...newsSubscriptions];
