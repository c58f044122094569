import type { ServiceManifest } from "../../services/shared/manifest.ts";
import { type LocalUser, subjectOf } from "./identity/users.ts";

/**
 * What the services that declare `needs.directory` read locally instead of a user pool: DIRECTORY_USERS,
 * the identity provider's own users, each with the subject its tokens carry, so a service tells the
 * requester apart by subject as on AWS. Nothing when no service declares it, as on AWS.
 */
export const localDirectoryEnvironment = (
  services: readonly ServiceManifest[],
  users: readonly LocalUser[],
): { DIRECTORY_USERS?: string } =>
  services.some((service) => service.needs.directory)
    ? { DIRECTORY_USERS: JSON.stringify(users.map((user) => ({ ...user, subject: subjectOf(user.email) }))) }
    : {};

/**
 * What the services that declare `needs.policies` read locally instead of an embedded document: the
 * path of the policy file the local configuration checked at start.
 */
export const localPoliciesEnvironment = (
  services: readonly ServiceManifest[],
  policyFile: string,
): { APPROVAL_POLICIES?: string } =>
  services.some((service) => service.needs.policies) ? { APPROVAL_POLICIES: policyFile } : {};
