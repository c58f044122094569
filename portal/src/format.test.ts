import { describe, expect, it } from "vitest";
import { eventLabel, humanTime, isFinalStatus, publisherLabel, statusLabel, statusTone } from "./format.ts";

describe("portal formatting", () => {
  it("labels every status for people and colours the outcomes", () => {
    expect(statusLabel("PENDING_APPROVAL")).toBe("Pending approval");
    expect(statusLabel("PROVISIONED")).toBe("Provisioned");
    expect(statusTone("PROVISIONED")).toBe("ok");
    expect(statusTone("REJECTED")).toBe("bad");
    expect(statusLabel("RELEASING")).toBe("Releasing");
    expect(statusLabel("RELEASED")).toBe("Released");
    expect(statusLabel("RELEASE_FAILED")).toBe("Release failed");
    expect(statusTone("RELEASE_FAILED")).toBe("bad");
    expect(statusLabel("SOMETHING_NEW")).toBe("SOMETHING_NEW");
  });

  it("stops refreshing only at final statuses: a provisioned resource's lease still runs until it is released", () => {
    expect(
      ["FAILED", "REJECTED", "EXPIRED", "INVALID", "RELEASED", "RELEASE_FAILED"].every(isFinalStatus),
    ).toBe(true);
    expect(
      ["SUBMITTED", "PENDING_APPROVAL", "APPROVED", "PROVISIONING", "PROVISIONED", "RELEASING"].some(
        isFinalStatus,
      ),
    ).toBe(false);
  });

  it("shows times readably in the given locale and zone, and passes junk through", () => {
    expect(humanTime("2026-11-28T10:04:05.000Z", "en-GB", "UTC")).toBe("28 Nov 2026, 10:04:05");
    expect(humanTime("not a time")).toBe("not a time");
    expect(humanTime(undefined)).toBe("");
  });

  it("names who published a request, with the account when the audit trail knows it", () => {
    expect(publisherLabel({ type: "ResourceRequested", source: "acme.ci", account: "111122223333" })).toBe(
      "published by acme.ci (account 111122223333)",
    );
    expect(publisherLabel({ type: "ResourceRequested", source: "acme.ci" })).toBe("published by acme.ci");
    expect(
      publisherLabel({ type: "RequestAccepted", source: "approvals.intake", account: "111122223333" }),
    ).toBe("approvals.intake");
  });

  it("turns detail-types into words", () => {
    expect(eventLabel("RequestApproved")).toBe("Request approved");
    expect(eventLabel("EC2 Instance State-change Notification")).toBe(
      "EC2 instance state-change notification",
    );
  });
});
