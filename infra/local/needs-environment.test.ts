import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY_FILE } from "../../policy/index.ts";
import { services } from "../../services/registry.ts";
import { directoryFromEnvironment } from "../../services/shared/directory.ts";
import { loadApprovalPolicies } from "../../services/shared/policies.ts";
import { DEFAULT_LOCAL_USERS, subjectOf } from "./identity/users.ts";
import { localDirectoryEnvironment, localPoliciesEnvironment } from "./needs-environment.ts";

const declaring = (need: "directory" | "policies", value: boolean) =>
  services.map((manifest) =>
    manifest.name === "decision" ? { ...manifest, needs: { ...manifest.needs, [need]: value } } : manifest,
  );
const noneDeclaring = (need: "directory" | "policies") =>
  services.map((manifest) => ({ ...manifest, needs: { ...manifest.needs, [need]: false } }));

describe("localDirectoryEnvironment", () => {
  it("hands the services the identity provider's users, each with the subject of its tokens", async () => {
    const directory = directoryFromEnvironment(
      localDirectoryEnvironment(declaring("directory", true), DEFAULT_LOCAL_USERS),
    );

    expect(await directory.userByEmail("approver2@example.com")).toEqual({
      email: "approver2@example.com",
      subject: subjectOf("approver2@example.com"),
      name: "Alex Approver",
      groups: ["approvers"],
    });
    expect((await directory.membersOf("approvers")).map(({ email }) => email)).toEqual([
      "approver@example.com",
      "approver2@example.com",
    ]);
  });

  it("gives nothing when no service declares needs.directory", () => {
    expect(localDirectoryEnvironment(noneDeclaring("directory"), DEFAULT_LOCAL_USERS)).toEqual({});
  });
});

describe("localPoliciesEnvironment", () => {
  it("names the checked policy file for the services that read policies", () => {
    const environment = localPoliciesEnvironment(declaring("policies", true), DEFAULT_POLICY_FILE);

    expect(loadApprovalPolicies(undefined, environment).source).toBe(DEFAULT_POLICY_FILE);
  });

  it("gives nothing when no service declares needs.policies", () => {
    expect(localPoliciesEnvironment(noneDeclaring("policies"), DEFAULT_POLICY_FILE)).toEqual({});
  });
});
