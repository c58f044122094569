import { createHash } from "node:crypto";
import { z } from "zod";
import { jsonSetting } from "../../../services/shared/config.ts";
import { DEFAULT_DIRECTORY_USERS } from "../../../services/shared/directory.ts";

/** The groups a user may belong to: the same names as the Cognito user pool's groups on AWS. */
export const USER_GROUPS = ["requesters", "approvers", "operators"] as const;
export type UserGroup = (typeof USER_GROUPS)[number];

export interface LocalUser {
  email: string;
  name: string;
  groups: UserGroup[];
}

/** Who can sign in to local mode when LOCAL_USERS is not set: the services' directory's default users. */
export const DEFAULT_LOCAL_USERS: readonly LocalUser[] = DEFAULT_DIRECTORY_USERS;

const EXAMPLE = '[{"email": "ana@example.com", "name": "Ana", "groups": ["requesters"]}]';

const localUserSchema = z.strictObject({
  // Lower-cased as the directory holds addresses, so one person is one user however it was typed.
  email: z.email({ error: "must be an email address" }).transform((email) => email.toLowerCase()),
  name: z.string({ error: "must be a name" }).trim().min(1, "must not be empty"),
  groups: z.array(z.enum(USER_GROUPS, { error: `must be one of ${USER_GROUPS.join(", ")}` }), {
    error: `must be a list of groups among ${USER_GROUPS.join(", ")}`,
  }),
});

/** LOCAL_USERS: JSON text (or already parsed), each email listed once, at least one user. */
export const localUsersSchema = jsonSetting(
  EXAMPLE,
  z
    .array(localUserSchema, { error: `must be a JSON list like ${EXAMPLE}` })
    .min(1, "must list at least one user")
    .superRefine((users, context) => {
      const seen = new Set<string>();
      users.forEach((user, index) => {
        if (seen.has(user.email))
          context.addIssue({
            code: "custom",
            path: [index, "email"],
            input: user.email,
            message: "is listed twice",
          });
        seen.add(user.email);
      });
    }),
);

/**
 * A user's subject: the same for the same email across restarts and data directories, so a token's
 * `sub` keeps naming the same person. Shaped like a Cognito `sub` (a UUID).
 */
export const subjectOf = (email: string): string => {
  const hex = createHash("sha256").update(`local-user:${email.toLowerCase()}`).digest("hex");
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20, 32)].join(
    "-",
  );
};
