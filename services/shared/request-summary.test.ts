import { describe, expect, it } from "vitest";
import { sampleRequest } from "../../test/support/fixtures.ts";
import { formatUtc, renderTime, requestSummaryRows } from "./request-summary.ts";

describe("formatUtc", () => {
  it("shows an ISO timestamp as weekday, date and minute in UTC", () => {
    expect(formatUtc("2030-01-04T09:05:59.999Z")).toBe("Fri, 4 Jan 2030, 09:05 UTC");
  });

  it("shows a moment given in another offset in UTC", () => {
    expect(formatUtc(new Date("2026-12-01T15:05:00+01:00"))).toBe("Tue, 1 Dec 2026, 14:05 UTC");
  });
});

describe("renderTime", () => {
  it("keeps the machine-readable moment beside the readable one", () => {
    expect(renderTime("2026-12-01T14:05:00.000Z").value).toBe(
      '<time datetime="2026-12-01T14:05:00.000Z">Tue, 1 Dec 2026, 14:05 UTC</time>',
    );
  });
});

describe("requestSummaryRows", () => {
  it("gives every detail of a full request, one row each", () => {
    expect(requestSummaryRows(sampleRequest())).toEqual([
      { label: "Request id", value: "req-1" },
      { label: "Requester", value: "Ana <ana@example.com>" },
      { label: "Resource", value: "EC2 t3.micro (amazon-linux-2023)" },
      { label: "Name", value: "build-box" },
      { label: "Volume", value: "20 GiB gp3" },
      { label: "Requested private IP", value: "10.0.1.25" },
      { label: "Subnet", value: "subnet-0abc1234" },
      { label: "Justification", value: "Nightly builds" },
    ]);
  });

  it("leaves out what the request does not ask for", () => {
    const request = sampleRequest({
      requester: { email: "bo@example.com" },
      resource: { type: "ec2", instanceType: "t4g.micro", os: "ubuntu-24.04" },
    });

    expect(requestSummaryRows(request)).toEqual([
      { label: "Request id", value: "req-1" },
      { label: "Requester", value: "bo@example.com" },
      { label: "Resource", value: "EC2 t4g.micro (ubuntu-24.04)" },
      { label: "Justification", value: "Nightly builds" },
    ]);
  });
});
