import type { z } from "zod";
import type { delegationWindowSchema } from "../../events/delegation-changed.ts";
import { canonicalEmail } from "../shared/canonical-email.ts";

/** A time an approver is away, and who decides for them meanwhile (lower-case). */
export type DelegationWindow = z.output<typeof delegationWindowSchema>;

/** An approver's delegations: every window they set that has not ended, oldest first. */
export interface Delegations {
  approver: string;
  windows: DelegationWindow[];
  changedAt: string;
}

/** A delegation the approver cannot set, naming the field of the body that is wrong. */
export class DelegationRefusedError extends Error {
  override readonly name = "DelegationRefusedError";
  constructor(
    readonly field: "from" | "to" | "delegate",
    readonly problem: string,
  ) {
    super(`${field} ${problem}`);
  }
}

const overlaps = (a: Pick<DelegationWindow, "from" | "to">, b: Pick<DelegationWindow, "from" | "to">) =>
  Date.parse(a.from) < Date.parse(b.to) && Date.parse(b.from) < Date.parse(a.to);

/** What the approver asks for and what the check needs to know about the others. */
export interface WindowRequest {
  approver: string;
  window: DelegationWindow;
  now: Date;
  /** The delegate's own delegations, if they set any. */
  delegateDelegations: Delegations | undefined;
}

/**
 * Checks a window an approver sets, refusing a delegate who is away themselves at any time in it: that
 * refuses every cycle (X to Y while Y to X) and every chain set in that order. A chain set the other
 * way round (Y, X's delegate, later sets a window of their own) is not looked for here (the table is
 * read by key only); decision never forwards a request twice and keeps asking X then (see
 * services/decision/delegations.ts).
 */
export const checkWindow = ({ approver, window, now, delegateDelegations }: WindowRequest): void => {
  const { from, to, delegate } = window;
  if (Date.parse(to) <= Date.parse(from)) throw new DelegationRefusedError("to", "must be after from");
  if (Date.parse(to) <= now.getTime()) throw new DelegationRefusedError("to", "must be in the future");
  if (canonicalEmail(delegate) === canonicalEmail(approver))
    throw new DelegationRefusedError("delegate", "must be someone other than you");
  const away = delegateDelegations?.windows.find((theirs) => overlaps(theirs, window));
  if (away) {
    throw new DelegationRefusedError(
      "delegate",
      `is away themselves from ${away.from} to ${away.to} (delegating to ${away.delegate}): delegations do not chain`,
    );
  }
};

/**
 * The approver's windows once `window` is set: it replaces any of theirs it overlaps, and windows
 * that have ended are dropped; oldest first.
 */
export const withWindow = (
  current: readonly DelegationWindow[],
  window: DelegationWindow,
  now: Date,
): DelegationWindow[] =>
  [...current.filter((kept) => !overlaps(kept, window) && Date.parse(kept.to) > now.getTime()), window].sort(
    (a, b) => Date.parse(a.from) - Date.parse(b.from),
  );
