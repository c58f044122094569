import {
  AdminListGroupsForUserCommand,
  CognitoIdentityProviderClient,
  ListUsersCommand,
  ListUsersInGroupCommand,
  ResourceNotFoundException,
  type UserType,
} from "@aws-sdk/client-cognito-identity-provider";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "./config.ts";
import {
  createCognitoDirectory,
  createLocalDirectory,
  DEFAULT_DIRECTORY_USERS,
  DIRECTORY_CACHE_MS,
  directoryFromEnvironment,
} from "./directory.ts";

const POOL = "eu-west-1_abc123";

const poolUser = (username: string, attributes: Record<string, string>, enabled = true): UserType => ({
  Username: username,
  Enabled: enabled,
  Attributes: Object.entries(attributes).map(([Name, Value]) => ({ Name, Value })),
});

const cognito = mockClient(CognitoIdentityProviderClient);
afterEach(() => cognito.reset());

/** A Cognito directory whose clock the test moves. */
const cognitoDirectory = () => {
  let clock = 1_000_000;
  const directory = createCognitoDirectory({
    client: new CognitoIdentityProviderClient({ region: "eu-west-1" }),
    userPoolId: POOL,
    now: () => clock,
  });
  return { directory, advance: (ms: number) => (clock += ms) };
};

describe("the Cognito directory", () => {
  it("lists a group's members across pages: lower-cased address, subject and name", async () => {
    cognito
      .on(ListUsersInGroupCommand, { UserPoolId: POOL, GroupName: "approvers" })
      .resolves({
        Users: [poolUser("u1", { email: "Avery@Example.com", sub: "sub-1", name: "Avery" })],
        NextToken: "page-2",
      })
      .on(ListUsersInGroupCommand, { UserPoolId: POOL, GroupName: "approvers", NextToken: "page-2" })
      .resolves({ Users: [poolUser("u2", { email: "alex@example.com", sub: "sub-2" })] });
    const { directory } = cognitoDirectory();

    expect(await directory.membersOf("approvers")).toEqual([
      { email: "avery@example.com", subject: "sub-1", name: "Avery", groups: ["approvers"] },
      { email: "alex@example.com", subject: "sub-2", groups: ["approvers"] },
    ]);
    expect(cognito.commandCalls(ListUsersInGroupCommand)).toHaveLength(2);
  });

  it("leaves out disabled members and members without an address: nobody can ask them", async () => {
    cognito.on(ListUsersInGroupCommand).resolves({
      Users: [
        poolUser("u1", { email: "gone@example.com", sub: "sub-1" }, false),
        poolUser("u2", { sub: "sub-2" }),
        poolUser("u3", { email: "kim@example.com", sub: "sub-3" }),
      ],
    });
    const { directory } = cognitoDirectory();

    expect((await directory.membersOf("approvers")).map(({ email }) => email)).toEqual(["kim@example.com"]);
  });

  it("answers a group the pool does not have with nobody", async () => {
    cognito
      .on(ListUsersInGroupCommand)
      .rejects(new ResourceNotFoundException({ message: "Group not found.", $metadata: {} }));
    const { directory } = cognitoDirectory();

    expect(await directory.membersOf("finance")).toEqual([]);
  });

  it("asks the pool once per group a minute: a burst of requests shares one answer", async () => {
    cognito.on(ListUsersInGroupCommand).resolves({ Users: [poolUser("u1", { email: "kim@example.com" })] });
    const { directory, advance } = cognitoDirectory();

    await Promise.all([directory.membersOf("approvers"), directory.membersOf("approvers")]);
    advance(DIRECTORY_CACHE_MS - 1);
    await directory.membersOf("approvers");
    expect(cognito.commandCalls(ListUsersInGroupCommand)).toHaveLength(1);

    advance(1);
    await directory.membersOf("approvers");
    expect(cognito.commandCalls(ListUsersInGroupCommand)).toHaveLength(2);
  });

  it("does not keep a failed answer: the next question asks again", async () => {
    cognito
      .on(ListUsersInGroupCommand)
      .rejectsOnce(new Error("throttled"))
      .resolves({ Users: [poolUser("u1", { email: "kim@example.com" })] });
    const { directory } = cognitoDirectory();

    await expect(directory.membersOf("approvers")).rejects.toThrow("throttled");
    expect(await directory.membersOf("approvers")).toHaveLength(1);
  });

  it("finds a user by address, in lower case, with all their groups across pages", async () => {
    cognito
      .on(ListUsersCommand, { UserPoolId: POOL, Filter: 'email = "kim@example.com"' })
      .resolves({ Users: [poolUser("u7", { email: "kim@example.com", sub: "sub-7", name: "Kim" })] });
    cognito
      .on(AdminListGroupsForUserCommand, { UserPoolId: POOL, Username: "u7" })
      .resolvesOnce({ Groups: [{ GroupName: "requesters" }], NextToken: "more" })
      .resolvesOnce({ Groups: [{ GroupName: "team-leads" }] });
    const { directory } = cognitoDirectory();

    expect(await directory.userByEmail(" Kim@Example.com")).toEqual({
      email: "kim@example.com",
      subject: "sub-7",
      name: "Kim",
      groups: ["requesters", "team-leads"],
    });
    await directory.userByEmail("kim@example.com");
    expect(cognito.commandCalls(ListUsersCommand)).toHaveLength(1);
  });

  it("takes the first enabled user of an address, and nobody when there is none", async () => {
    cognito
      .on(ListUsersCommand, { Filter: 'email = "kim@example.com"' })
      .resolves({
        Users: [
          poolUser("old", { email: "kim@example.com" }, false),
          poolUser("new", { email: "kim@example.com" }),
        ],
      })
      .on(ListUsersCommand, { Filter: 'email = "nobody@example.com"' })
      .resolves({ Users: [] });
    cognito.on(AdminListGroupsForUserCommand, { Username: "new" }).resolves({ Groups: [] });
    const { directory } = cognitoDirectory();

    expect(await directory.userByEmail("kim@example.com")).toEqual({ email: "kim@example.com", groups: [] });
    expect(await directory.userByEmail("nobody@example.com")).toBeUndefined();
  });

  it("escapes quotes in the filter, so an address cannot widen the search", async () => {
    cognito.on(ListUsersCommand).resolves({ Users: [] });
    const { directory } = cognitoDirectory();

    await directory.userByEmail('"x"@example.com');

    expect(cognito.commandCalls(ListUsersCommand)[0]?.args[0].input.Filter).toBe(
      'email = "\\"x\\"@example.com"',
    );
  });
});

describe("the local directory", () => {
  const directory = createLocalDirectory([
    { email: "Kim@Example.com", subject: "sub-k", name: "Kim", groups: ["approvers", "operators"] },
    { email: "lee@example.com", groups: ["approvers"] },
    { email: "ana@example.com", groups: ["requesters"] },
  ]);

  it("lists a group's members, addresses lower-cased", async () => {
    expect(await directory.membersOf("approvers")).toEqual([
      { email: "kim@example.com", subject: "sub-k", name: "Kim", groups: ["approvers"] },
      { email: "lee@example.com", groups: ["approvers"] },
    ]);
    expect(await directory.membersOf("finance")).toEqual([]);
  });

  it("finds a user by address in any case, with all their groups", async () => {
    expect(await directory.userByEmail("KIM@example.com")).toEqual({
      email: "kim@example.com",
      subject: "sub-k",
      name: "Kim",
      groups: ["approvers", "operators"],
    });
    expect(await directory.userByEmail("nobody@example.com")).toBeUndefined();
  });
});

describe("the deployment's directory", () => {
  it("holds LOCAL_USERS's default users when DIRECTORY_USERS is not set", async () => {
    const directory = directoryFromEnvironment({});

    expect((await directory.membersOf("approvers")).map(({ email }) => email)).toEqual(
      DEFAULT_DIRECTORY_USERS.filter((user) => user.groups.includes("approvers")).map(({ email }) => email),
    );
  });

  it("reads DIRECTORY_USERS as JSON", async () => {
    const directory = directoryFromEnvironment({
      DIRECTORY_USERS: '[{"email": "Kim@Example.com", "subject": "sub-k", "groups": ["finance"]}]',
    });

    expect(await directory.membersOf("finance")).toEqual([
      { email: "kim@example.com", subject: "sub-k", groups: ["finance"] },
    ]);
  });

  it.each([
    ["not JSON", "[{", "DIRECTORY_USERS must be JSON like"],
    ["not a list", '{"email": "kim@example.com"}', "DIRECTORY_USERS must be a JSON list like"],
    ["a bad address", '[{"email": "kim", "groups": []}]', "DIRECTORY_USERS.email must be an email address"],
    ["no groups", '[{"email": "kim@example.com"}]', "DIRECTORY_USERS.groups must be a list of group names"],
  ])("refuses DIRECTORY_USERS with %s, naming the setting", (_case, value, message) => {
    const load = () => directoryFromEnvironment({ DIRECTORY_USERS: value });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(message);
  });

  it("asks the user pool USER_POOL_ID names, whatever DIRECTORY_USERS holds", async () => {
    cognito.on(ListUsersInGroupCommand, { UserPoolId: POOL }).resolves({ Users: [] });
    const directory = directoryFromEnvironment({ USER_POOL_ID: POOL, AWS_REGION: "eu-west-1" });

    expect(await directory.membersOf("approvers")).toEqual([]);
    expect(cognito.commandCalls(ListUsersInGroupCommand)).toHaveLength(1);
  });
});
