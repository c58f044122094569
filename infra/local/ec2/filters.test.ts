import { describe, expect, it } from "vitest";
import { launch, launchedId, REGION, useLocalEc2 } from "./testing/local-ec2.ts";

const { openEc2 } = useLocalEc2();

describe("LocalEc2 describe filters", () => {
  it("combines filters with AND, a filter's values with OR, and understands wildcards", async () => {
    const { ec2 } = openEc2({ bootDelayMs: 60_000 });
    const tagged = (requestId: string, team: string) =>
      launch({
        tagSpecifications: [
          {
            resourceType: "instance",
            tags: [
              { key: "RequestId", value: requestId },
              { key: "Team", value: team },
            ],
          },
        ],
      });
    const alpha = await launchedId(ec2, tagged("req-alpha", "web"));
    const beta = await launchedId(ec2, tagged("req-beta", "data"));
    await launchedId(ec2, tagged("other", "web"));

    const ids = (filters: { name: string; values: string[] }[]) =>
      ec2
        .describeInstances(REGION, { filters })
        .flatMap((reservation) => reservation.instances.map((instance) => instance.instanceId));

    expect(ids([{ name: "tag:RequestId", values: ["req-*"] }])).toEqual([alpha, beta]);
    expect(ids([{ name: "tag:RequestId", values: ["req-?lpha", "req-beta"] }])).toEqual([alpha, beta]);
    expect(
      ids([
        { name: "tag:RequestId", values: ["req-*"] },
        { name: "tag:Team", values: ["web"] },
      ]),
    ).toEqual([alpha]);
    expect(ids([{ name: "instance-state-name", values: ["running"] }])).toEqual([]);
    expect(
      ids([
        { name: "tag-key", values: ["Team"] },
        { name: "instance-id", values: [beta] },
      ]),
    ).toEqual([beta]);
  });

  it.each([
    ["*", "", true],
    ["a*c", "abbbc", true],
    ["a*c", "abd", false],
    ["*ab", "aab", true],
    ["a*b*c", "axbxbxc", true],
    ["a?c", "abc", true],
    ["a?c", "ac", false],
    ["a?c", "abbc", false],
    ["*?", "", false],
    ["*?", "x", true],
    ["ABC", "abc", false],
    ["a.c", "abc", false],
    ["(a)+[b]", "(a)+[b]", true],
    ["a\\*c", "a*c", true],
    ["a\\*c", "abc", false],
    ["a\\?c", "a?c", true],
    ["a\\?c", "abc", false],
    ["a\\\\*", "a\\bc", true],
    ["a\\\\*", "abc", false],
    ["a\\b", "a\\b", true],
    ["a\\", "a\\", true],
  ])("matches the filter value %j against the tag value %j: %s", async (pattern, value, expected) => {
    const { ec2 } = openEc2({ bootDelayMs: 60_000 });
    const instanceId = await launchedId(
      ec2,
      launch({ tagSpecifications: [{ resourceType: "instance", tags: [{ key: "k", value }] }] }),
    );

    const found = ec2.describeInstances(REGION, { filters: [{ name: "tag:k", values: [pattern] }] });

    expect(found.map((reservation) => reservation.instances[0]?.instanceId)).toEqual(
      expected ? [instanceId] : [],
    );
  });

  it("answers a filter value with many stars against a long tag value, matching or not", async () => {
    const { ec2 } = openEc2({ bootDelayMs: 60_000 });
    const tagged = (value: string) =>
      launch({ tagSpecifications: [{ resourceType: "instance", tags: [{ key: "k", value }] }] });
    await launchedId(ec2, tagged("a".repeat(200)));
    const endsInB = await launchedId(ec2, tagged(`${"a".repeat(199)}b`));

    const found = ec2.describeInstances(REGION, { filters: [{ name: "tag:k", values: ["*a*a*a*a*a*b"] }] });

    expect(found.map((reservation) => reservation.instances[0]?.instanceId)).toEqual([endsInB]);
  });

  it.each([
    ["an unknown filter", { filters: [{ name: "colour", values: ["red"] }] }, "InvalidParameterValue"],
    [
      "a filter named like an object property",
      { filters: [{ name: "constructor", values: ["x"] }] },
      "InvalidParameterValue",
    ],
    ["a filter without values", { filters: [{ name: "instance-id", values: [] }] }, "InvalidParameterValue"],
  ])("refuses %s with %s", (_, query, code) => {
    const { ec2 } = openEc2();

    expect(() => ec2.describeInstances(REGION, query)).toThrow(expect.objectContaining({ code }));
  });
});
