import {
  type AttributeType,
  CognitoIdentityProviderClient,
  ListUsersCommand,
  paginateAdminListGroupsForUser,
  paginateListUsersInGroup,
  ResourceNotFoundException,
  type UserType,
} from "@aws-sdk/client-cognito-identity-provider";
import { z } from "zod";
import type { Group } from "../../api/access.ts";
import { env, jsonSetting, loadConfig } from "./config.ts";
import { traced } from "./observability.ts";

/** A person the identity provider knows: where approval mail goes, and the groups policies name. */
export interface DirectoryUser {
  /** Lower-cased. */
  email: string;
  /** The identity provider's subject (a token's `sub`), when it has one. */
  subject?: string;
  name?: string;
  groups: string[];
}

/**
 * Who is in which group, asked of the identity provider: Cognito's user pool on AWS, the local
 * identity provider's users (DIRECTORY_USERS) locally.
 */
export interface Directory {
  /**
   * The enabled members of `group` that have an email address; none when the group does not exist.
   * Their `groups` name `group` only: ask `userByEmail` for all of someone's groups.
   */
  membersOf(group: string): Promise<DirectoryUser[]>;
  /** The user with that address (any case), with all their groups; undefined when there is none. */
  userByEmail(email: string): Promise<DirectoryUser | undefined>;
}

/**
 * Who can sign in to local mode when LOCAL_USERS is not set, and so who the directory holds when
 * DIRECTORY_USERS is not set: one of each role, and a second approver (a quorum of two can be met).
 */
export const DEFAULT_DIRECTORY_USERS: readonly { email: string; name: string; groups: Group[] }[] = [
  { email: "requester@example.com", name: "Riley Requester", groups: ["requesters"] },
  { email: "approver@example.com", name: "Avery Approver", groups: ["approvers"] },
  { email: "approver2@example.com", name: "Alex Approver", groups: ["approvers"] },
  { email: "operator@example.com", name: "Oakley Operator", groups: ["operators"] },
];

const EXAMPLE = '[{"email": "ana@example.com", "subject": "…", "name": "Ana", "groups": ["approvers"]}]';

const directoryUserSchema = z.object({
  email: z.email({ error: "must be an email address" }).transform((email) => email.toLowerCase()),
  subject: z.string({ error: "must be text" }).min(1, "must not be empty").optional(),
  name: z.string({ error: "must be text" }).optional(),
  groups: z.array(z.string({ error: "must be a group name" }), { error: "must be a list of group names" }),
});

/** DIRECTORY_USERS: LOCAL_USERS as the local runtime hands it to the services, each with its subject. */
export const directoryUsersSchema = jsonSetting(
  EXAMPLE,
  z.array(directoryUserSchema, { error: `must be a JSON list like ${EXAMPLE}` }),
);

/** A directory over a fixed list of users: local mode's, and tests'. */
export const createLocalDirectory = (users: readonly DirectoryUser[]): Directory => {
  const listed = users.map((user) => ({ ...user, email: user.email.toLowerCase() }));
  return {
    membersOf: async (group) =>
      listed.filter((user) => user.groups.includes(group)).map((user) => ({ ...user, groups: [group] })),
    userByEmail: async (email) => {
      const found = listed.find((user) => user.email === email.toLowerCase());
      return found && { ...found, groups: [...found.groups] };
    },
  };
};

/** Long enough that a burst of requests asks the pool once, short enough that a removal counts soon. */
export const DIRECTORY_CACHE_MS = 60_000;

const attribute = (attributes: readonly AttributeType[] | undefined, name: string) =>
  attributes?.find((candidate) => candidate.Name === name)?.Value;

/** A pool user as the directory tells of them; none for a disabled user or one without an address. */
const directoryUserOf = (user: UserType, groups: string[]): DirectoryUser | undefined => {
  const email = attribute(user.Attributes, "email");
  if (user.Enabled === false || !email) return undefined;
  const subject = attribute(user.Attributes, "sub");
  const name = attribute(user.Attributes, "name");
  return {
    email: email.toLowerCase(),
    ...(subject && { subject }),
    ...(name && { name }),
    groups,
  };
};

/** A value of a ListUsers filter: a double-quoted string, its quotes and backslashes escaped. */
const filterValue = (value: string) => `"${value.replace(/["\\]/g, (character) => `\\${character}`)}"`;

export interface CognitoDirectoryOptions {
  client: CognitoIdentityProviderClient;
  userPoolId: string;
  /** Milliseconds since the epoch; tests pass a clock they move. */
  now?: () => number;
}

/**
 * The directory of a Cognito user pool. Answers are kept DIRECTORY_CACHE_MS, a call in flight shared:
 * a burst of requests pages the pool once instead of once each.
 */
export const createCognitoDirectory = ({
  client,
  userPoolId,
  now = Date.now,
}: CognitoDirectoryOptions): Directory => {
  const cache = new Map<string, { expiresAt: number; answer: Promise<unknown> }>();
  const cached = <T>(key: string, ask: () => Promise<T>): Promise<T> => {
    const hit = cache.get(key);
    if (hit && hit.expiresAt > now()) return hit.answer as Promise<T>;
    const answer = ask();
    cache.set(key, { expiresAt: now() + DIRECTORY_CACHE_MS, answer });
    // A failed call is not remembered: the next request asks again.
    answer.catch(() => cache.delete(key));
    return answer;
  };

  const listMembers = async (group: string): Promise<DirectoryUser[]> => {
    const members: DirectoryUser[] = [];
    try {
      for await (const page of paginateListUsersInGroup(
        { client },
        { UserPoolId: userPoolId, GroupName: group },
      )) {
        for (const user of page.Users ?? []) {
          const member = directoryUserOf(user, [group]);
          if (member) members.push(member);
        }
      }
    } catch (error) {
      // A policy naming a group the pool lacks: nobody is in it, which the policy's quorum then reports.
      if (error instanceof ResourceNotFoundException) return [];
      throw error;
    }
    return members;
  };

  const groupsOf = async (username: string): Promise<string[]> => {
    const groups: string[] = [];
    for await (const page of paginateAdminListGroupsForUser(
      { client },
      { UserPoolId: userPoolId, Username: username },
    )) {
      for (const group of page.Groups ?? []) if (group.GroupName) groups.push(group.GroupName);
    }
    return groups;
  };

  const findUser = async (email: string): Promise<DirectoryUser | undefined> => {
    const { Users = [] } = await client.send(
      new ListUsersCommand({ UserPoolId: userPoolId, Filter: `email = ${filterValue(email)}` }),
    );
    // A federated sign-in and a pool account may share an address: the first enabled one is the person.
    const user = Users.find((candidate) => directoryUserOf(candidate, []) !== undefined);
    if (!user?.Username) return undefined;
    return directoryUserOf(user, await groupsOf(user.Username));
  };

  return {
    membersOf: (group) => cached(`group:${group}`, () => listMembers(group)),
    userByEmail: (email) => {
      const address = email.trim().toLowerCase();
      return cached(`email:${address}`, () => findUser(address));
    },
  };
};

/** The deployment's directory: the user pool USER_POOL_ID names on AWS, otherwise DIRECTORY_USERS's users. */
export const directoryFromEnvironment = (environment: Record<string, string | undefined>): Directory => {
  const config = loadConfig(
    {
      USER_POOL_ID: env.text().optional(),
      DIRECTORY_USERS: directoryUsersSchema.prefault(DEFAULT_DIRECTORY_USERS),
    },
    environment,
  );
  if (config.USER_POOL_ID)
    return createCognitoDirectory({
      client: traced(new CognitoIdentityProviderClient({})),
      userPoolId: config.USER_POOL_ID,
    });
  return createLocalDirectory(config.DIRECTORY_USERS);
};

let configured: Directory | undefined;
const configuredDirectory = () => {
  configured ??= directoryFromEnvironment(process.env);
  return configured;
};

/**
 * The directory of the services that declare `needs.directory`. It reads the environment at its first
 * question, not at import: the local runtime imports this module (for LOCAL_USERS's default) before
 * it has set the services' environment, and runs them in its own process.
 */
export const directory: Directory = {
  membersOf: (group) => configuredDirectory().membersOf(group),
  userByEmail: (email) => configuredDirectory().userByEmail(email),
};
