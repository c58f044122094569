import { DEFAULT_POLICY_FILE, loadPolicies, type PolicySet, parsePolicies } from "../../policy/index.ts";

/** The policy file a deployment checked at synth, as the CDK app embeds it in a bundle. */
export interface EmbeddedPolicies {
  /** Where it was read from, relative to the repository: what errors and `PolicySet.source` name. */
  source: string;
  /** The file's text as written, so each policy hashes as it does everywhere else. */
  text: string;
}

/**
 * The global the CDK app has esbuild replace (`define`) with the deployment's policy file in the
 * bundles of services that declare `needs.policies`: a file in the bundle rather than an environment
 * variable, which Lambda limits to 4 KB in all.
 */
declare const __APPROVAL_POLICIES__: EmbeddedPolicies | undefined;

/** esbuild's `define` that embeds `policies` in a bundle. */
export const embedPolicies = (policies: EmbeddedPolicies): Record<string, string> => ({
  __APPROVAL_POLICIES__: JSON.stringify(policies),
});

/**
 * Reads the policies from where this runtime has them: the document embedded in the bundle on AWS,
 * otherwise the file APPROVAL_POLICIES names (the local runtime passes its checked path), otherwise
 * the repository's. A file that cannot be read or is invalid throws PolicyFileError naming it.
 */
export const loadApprovalPolicies = (
  embedded: EmbeddedPolicies | undefined,
  environment: Record<string, string | undefined>,
): PolicySet =>
  embedded
    ? parsePolicies(embedded.text, embedded.source)
    : loadPolicies(environment.APPROVAL_POLICIES || DEFAULT_POLICY_FILE);

let loaded: PolicySet | undefined;

/** The deployment's approval policies, read and checked once per process (a warm function reuses them). */
export const approvalPolicies = (): PolicySet => {
  // Outside a bundle the global is not declared at all, which `typeof` alone can ask without throwing.
  loaded ??= loadApprovalPolicies(
    typeof __APPROVAL_POLICIES__ === "undefined" ? undefined : __APPROVAL_POLICIES__,
    process.env,
  );
  return loaded;
};
