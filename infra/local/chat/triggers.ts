import { randomBytes } from "node:crypto";

/** Who pressed the button a trigger id was issued for, and where. */
export interface Trigger {
  user: string;
  channel: string;
}

/**
 * The trigger ids interactions carry: each lets views.open open one view, once, as Slack's do. Kept in
 * memory only: Slack's expire within seconds, so none would outlive a restart there either.
 */
export class TriggerIds {
  private readonly issued = new Map<string, Trigger>();

  issue(trigger: Trigger): string {
    const id = `${Date.now()}.${randomBytes(6).toString("hex")}`;
    this.issued.set(id, trigger);
    return id;
  }

  redeem(id: string): Trigger | undefined {
    const trigger = this.issued.get(id);
    this.issued.delete(id);
    return trigger;
  }
}
