import "../../../test/support/service-environment.ts";
import { IdempotencyAlreadyInProgressError } from "@aws-lambda-powertools/idempotency";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RequestRejected } from "../../../events/request-rejected.ts";
import { localLambdaContext } from "../../../infra/local/lambda-context.ts";
import { startTestDynamo, type TestDynamo } from "../../../test/support/dynamo.ts";
import { silentLogger } from "../../../test/support/fakes.ts";
import { envelopeOf, sampleRequest } from "../../../test/support/fixtures.ts";
import { deliverTogetherThenRetryFailures, testIdempotency } from "../../../test/support/idempotency.ts";
import type { ChatSettings } from "../../shared/chat-settings.ts";
import { createNewsStore } from "../news/store.ts";
import { idempotencyTable, tables } from "../tables.ts";
import type { TeamsMessage } from "../teams/cards.ts";
import { deliveredToTeams, stageStarted } from "../teams/testing/events.ts";
import { createTeamsWebhook, TeamsWebhookError } from "../teams/webhook.ts";
import { createTeamsCardsHandler, handler } from "./teams-cards.ts";

const WEBHOOK_URL =
  "https://prod-01.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=s";

const TEAMS_ON: ChatSettings = { teams: { webhookUrl: WEBHOOK_URL } };

/** A Teams workflow behind `fetch`: records each card it accepts; `refuseNext` answers the next post with a 502. */
const fakeTeams = () => {
  const cards: TeamsMessage[] = [];
  const urls: string[] = [];
  let refusalsLeft = 0;
  const fetch: typeof globalThis.fetch = async (input, init) => {
    urls.push(String(input));
    if (refusalsLeft > 0) {
      refusalsLeft--;
      return new Response("Bad Gateway", { status: 502 });
    }
    cards.push(JSON.parse(String(init?.body)));
    return new Response(null, { status: 202 });
  };
  return {
    cards,
    urls,
    postCard: createTeamsWebhook({ fetch, sleep: async () => {} }),
    refuseNext: () => {
      refusalsLeft = 1;
    },
  };
};

const rejected = (requestId: string) =>
  deliveredToTeams(RequestRejected, {
    requestId,
    request: sampleRequest({ requestId }),
    approver: "bob@example.com",
    reason: "Use the shared build farm",
    decidedAt: "2030-01-01T10:10:00.000Z",
  });

describe("chat posting cards to the Teams channel", () => {
  let dynamo: TestDynamo;
  beforeAll(async () => {
    dynamo = await startTestDynamo(tables);
  });
  afterAll(() => dynamo.close());

  const setUp = (settings: ChatSettings = TEAMS_ON) => {
    const teams = fakeTeams();
    const handle = createTeamsCardsHandler({
      store: createNewsStore(testIdempotency(dynamo, idempotencyTable.id, "chat")),
      chatSettings: async () => settings,
      postCard: teams.postCard,
      settings: { publicUrl: "https://approvals.example.com" },
      logger: silentLogger(),
    });
    return { teams, handle };
  };

  it("posts the card of a request waiting for approval to the workflow's webhook", async () => {
    const { teams, handle } = setUp();

    await handle(stageStarted(sampleRequest({ requestId: "asked-1" })));

    expect(teams.urls).toEqual([WEBHOOK_URL]);
    expect(teams.cards[0]?.attachments[0].content.body).toContainEqual(
      expect.objectContaining({ text: "Approval needed: request asked-1" }),
    );
  });

  it("posts one card per event however often, and however concurrently, the event is delivered", async () => {
    const { teams, handle } = setUp();
    const event = rejected("once");

    await handle(event);
    await handle(event);
    const failures = await deliverTogetherThenRetryFailures(handle, [event, event, event]);

    expect(failures.filter((failure) => !(failure instanceof IdempotencyAlreadyInProgressError))).toEqual([]);
    expect(teams.cards).toHaveLength(1);
  });

  it("posts a card of its own for each event of the same request", async () => {
    const { teams, handle } = setUp();

    await handle(stageStarted(sampleRequest({ requestId: "two-cards" })));
    await handle(rejected("two-cards"));

    expect(teams.cards).toHaveLength(2);
  });

  it("throws when Teams refuses the card, naming the status, and posts it on the retry", async () => {
    const { teams, handle } = setUp();
    const event = rejected("teams-down");
    teams.refuseNext();

    await expect(handle(event)).rejects.toThrow(
      new TeamsWebhookError("Teams refused the card with HTTP 502: Bad Gateway"),
    );
    await handle(event);

    expect(teams.cards).toHaveLength(1);
  });

  it("posts nothing when Teams is not set up", async () => {
    const { teams, handle } = setUp({});

    await handle(rejected("teams-off"));

    expect(teams.urls).toEqual([]);
  });

  it("parses the bus's envelope in the deployed handler, refusing a detail that breaks its contract", async () => {
    const envelope = envelopeOf(RequestRejected, rejected("wired").detail, { id: "evt-wired" });
    const context = localLambdaContext("chat-teams-cards", "us-east-1", "000000000000");
    // The bus hands the handler raw JSON: the middleware's parse is what types it.
    const invoke = handler as unknown as (event: unknown, context: Context) => Promise<unknown>;

    // No Teams webhook in the tests' environment: Teams is off, and the handler does nothing.
    await expect(invoke(envelope, context)).resolves.toBeUndefined();
    await expect(invoke({ ...envelope, detail: { requestId: "wired" } }, context)).rejects.toMatchObject({
      name: "ParseError",
    });
  });
});
