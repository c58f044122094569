import { describe, expect, it } from "vitest";
import type { Approval, ApprovalStage } from "../../api/schemas.ts";
import {
  extensionAskedInWords,
  notAnsweredIn,
  outcomeInWords,
  quorumInWords,
  stageStateLabel,
  stageTitle,
} from "./approval.ts";

const AT = "2026-12-01T09:00:00Z";
const stage = (overrides: Partial<ApprovalStage> = {}): ApprovalStage => ({
  index: 0,
  name: "team leads",
  quorum: 2,
  state: "active",
  asked: ["a", "b", "c"].map((name) => ({ email: `${name}@example.com`, askedAt: AT })),
  approvedBy: [{ email: "a@example.com", at: AT }],
  ...overrides,
});

describe("an approval in words", () => {
  it("titles a stage by its place only when there are several", () => {
    expect(stageTitle(stage(), 2)).toBe("Stage 1 of 2: team leads");
    expect(stageTitle(stage(), 1)).toBe("team leads");
  });

  it("says how many approvals a stage needs, resolving all to everyone it asked", () => {
    expect(quorumInWords(stage())).toBe("needs 2 approvals");
    expect(quorumInWords(stage({ quorum: 1 }))).toBe("needs 1 approval");
    expect(quorumInWords(stage({ quorum: "all" }))).toBe("needs 3 approvals");
    expect(quorumInWords(stage({ quorum: "all", asked: [] }))).toBe("needs the approval of everyone it asks");
  });

  it("lists whom a stage still waits for: the asked who neither approved nor rejected", () => {
    const rejected = stage({ rejectedBy: { email: "b@example.com", at: AT } });
    expect(notAnsweredIn(stage()).map(({ email }) => email)).toEqual(["b@example.com", "c@example.com"]);
    expect(notAnsweredIn(rejected).map(({ email }) => email)).toEqual(["c@example.com"]);
  });

  it("says what the policy does", () => {
    const approval = (outcome: Approval["outcome"], stages: ApprovalStage[] = []): Approval => ({
      policy: { name: "p", hash: "0123456789ab", why: [] },
      outcome,
      stages,
    });
    expect(outcomeInWords(approval("autoApprove"))).toBe("approves without asking anyone");
    expect(outcomeInWords(approval("deny"))).toBe("refuses the request");
    expect(outcomeInWords(approval("stages", [stage(), stage({ index: 1 })]))).toBe(
      "asks for approval in 2 stages",
    );
  });

  it("labels each stage state", () => {
    expect(stageStateLabel("waiting")).toBe("Not started");
    expect(stageStateLabel("active")).toBe("Asking now");
  });
});

describe("an extension awaiting an approver, in words", () => {
  it("says from which end to which the lease would move, and by how much", () => {
    expect(
      extensionAskedInWords({ from: "2026-12-10T09:00:00Z", until: "2026-12-13T21:00:00Z" }, "en-GB", "UTC"),
    ).toBe("from 10 Dec 2026, 09:00:00 to 13 Dec 2026, 21:00:00 (+3 days and 12 hours)");
  });
});
