import type { ApprovalTimerDue } from "../../events/approval-timer-due.ts";
import type { DetailOf, EventContract } from "../../events/contract.ts";
import type { OneTimeSchedule, Schedules } from "../../services/shared/schedules.ts";

export interface RecordedSchedule {
  name: string;
  at: Date;
  detailType: string;
  detail: DetailOf<typeof ApprovalTimerDue>;
}

/**
 * Schedules kept in memory, as a group of EventBridge Scheduler would keep them: the same name again
 * moves the schedule, a cancellation takes it out and says whether it was there. Each detail is
 * checked against its contract, as `scheduleOnce` checks it.
 */
export const recordingSchedules = () => {
  const pending = new Map<string, RecordedSchedule>();
  const made: RecordedSchedule[] = [];
  const cancelled: string[] = [];
  const scheduleOnce: Schedules["scheduleOnce"] = async <C extends EventContract>({
    name,
    at,
    contract,
    detail,
  }: OneTimeSchedule<C>) => {
    const recorded = {
      name,
      at,
      detailType: contract.detailType,
      detail: contract.schema.parse(detail) as DetailOf<typeof ApprovalTimerDue>,
    };
    pending.set(name, recorded);
    made.push(recorded);
    return `arn:aws:scheduler:us-east-1:000000000000:schedule/test/${name}`;
  };
  const cancelSchedule = async (name: string) => {
    cancelled.push(name);
    return pending.delete(name);
  };
  return { scheduleOnce, cancelSchedule, pending, made, cancelled };
};

export type RecordingSchedules = ReturnType<typeof recordingSchedules>;
