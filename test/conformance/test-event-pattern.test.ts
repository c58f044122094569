import { TestEventPatternCommand } from "@aws-sdk/client-eventbridge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EventsEdge, RecordingBus, startEventsEdge } from "../support/local-events.ts";
import { conformanceCases } from "./cases.ts";

/**
 * Every case as the real SDK sends it to `TestEventPattern`. The events are passed as they are: each
 * carries the envelope fields AWS's TestEventPattern insists on (all but `resources`, which AWS does
 * not require despite its docs), so none needs filling in.
 */
describe("TestEventPattern on AWS-validated pattern cases", () => {
  let edge: EventsEdge;
  beforeAll(async () => {
    edge = await startEventsEdge(new RecordingBus());
  });
  afterAll(async () => {
    await edge.close();
  });

  it("has all 156 cases to run", () => {
    expect(conformanceCases).toHaveLength(156);
  });

  it.each(conformanceCases.map((conformanceCase) => [conformanceCase.name, conformanceCase] as const))(
    "%s",
    async (_name, { expect: expected, pattern, event }) => {
      const testing = edge.client.send(
        new TestEventPatternCommand({ EventPattern: JSON.stringify(pattern), Event: JSON.stringify(event) }),
      );

      if (expected === "invalid") {
        await expect(testing).rejects.toMatchObject({ name: "InvalidEventPatternException" });
      } else {
        expect((await testing).Result).toBe(expected === "match");
      }
    },
  );
});
