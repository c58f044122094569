import { describe, expect, it } from "vitest";
import { services } from "../../../services/registry.ts";
import { loadScheduleSettings } from "../../../services/shared/schedules.ts";
import {
  LOCAL_SCHEDULE_GROUP,
  LOCAL_SCHEDULER_ROLE_ARN,
  localScheduleEnvironment,
} from "./stack-resources.ts";

describe("localScheduleEnvironment", () => {
  it("gives the settings a scheduling service reads when some service declares needs.schedules", () => {
    const scheduling = services.map((manifest) =>
      manifest.name === "decision"
        ? { ...manifest, needs: { ...manifest.needs, schedules: true } }
        : manifest,
    );

    expect(loadScheduleSettings(localScheduleEnvironment(scheduling, "eu-west-1"))).toEqual({
      SCHEDULE_GROUP: LOCAL_SCHEDULE_GROUP,
      SCHEDULER_ROLE_ARN: LOCAL_SCHEDULER_ROLE_ARN,
      SCHEDULER_DLQ_ARN: "arn:aws:sqs:eu-west-1:000000000000:approvals-scheduler-dead-letters",
      EVENT_BUS_ARN: "arn:aws:events:eu-west-1:000000000000:event-bus/approvals",
    });
  });

  it("gives nothing when no service declares it, as on AWS", () => {
    const none = services.map((manifest) => ({
      ...manifest,
      needs: { ...manifest.needs, schedules: false },
    }));

    expect(localScheduleEnvironment(none, "eu-west-1")).toEqual({});
  });
});
