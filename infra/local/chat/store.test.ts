import { appendFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChatStore } from "./store.ts";

describe("ChatStore's journal", () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "chat-store-"));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  /** Opens the store, runs `use`, closes it: one run of the stack. */
  const run = <T>(use: (store: ChatStore) => T, now?: () => Date): T => {
    const store = new ChatStore(dataDir, now);
    try {
      return use(store);
    } finally {
      store.close();
    }
  };

  it("gives back after a restart every message with its latest content and history, ephemerals, views and cards", () => {
    const ts = run((store) => {
      const posted = store.post("D1", { text: "asked", blocks: [{ type: "divider" }] });
      store.update("D1", posted.ts, { text: "approved", blocks: [] });
      store.postEphemeral("D1", "U1", { text: "only you" });
      store.openView({ id: "V1", user: "U1", channel: "D1", view: { type: "modal" }, openedAt: "then" });
      store.openView({ id: "V2", user: "U1", channel: "D1", view: { type: "modal" }, openedAt: "then" });
      store.closeView("V1");
      store.addCard({ id: "c1", at: "then", body: { type: "message", attachments: [] } });
      return posted.ts;
    });

    const state = run((store) => ({ slack: store.slack(), teams: store.teams() }));

    expect(state.slack.messages).toEqual([
      expect.objectContaining({
        channel: "D1",
        ts,
        text: "approved",
        blocks: [],
        history: [expect.objectContaining({ text: "asked", blocks: [{ type: "divider" }] })],
        updatedAt: expect.any(String),
      }),
    ]);
    expect(state.slack.ephemerals).toMatchObject([{ channel: "D1", user: "U1", text: "only you" }]);
    expect(state.slack.views.map((view) => view.id)).toEqual(["V2"]);
    expect(state.teams.map((card) => card.id)).toEqual(["c1"]);
  });

  it("hands out timestamps later than those of an earlier run, even when the clock went back", () => {
    const first = run(
      (store) => store.post("D1", { text: "first" }).ts,
      () => new Date("2030-01-01T00:00:00Z"),
    );

    const second = run(
      (store) => store.post("D1", { text: "second" }).ts,
      () => new Date("2029-01-01T00:00:00Z"),
    );

    expect(first).toBe("1893456000.000000");
    expect(Number(second)).toBeGreaterThan(Number(first));
  });

  it("drops a line cut short by a kill, and keeps the next record on a line of its own", async () => {
    run((store) => store.post("D1", { text: "kept" }));
    await appendFile(join(dataDir, "chat.ndjson"), '{"type":"slack-posted","mess');

    run((store) => store.post("D1", { text: "after the crash" }));
    const texts = run((store) => store.slack().messages.map((message) => message.text));

    expect(texts).toEqual(["kept", "after the crash"]);
    expect((await readFile(join(dataDir, "chat.ndjson"), "utf8")).split("\n").filter(Boolean)).toHaveLength(
      2,
    );
  });

  it("forgets everything on clear, across restarts", () => {
    run((store) => {
      store.post("D1", { text: "cleared" });
      store.clear();
      store.post("D1", { text: "kept" });
    });

    expect(run((store) => store.slack().messages.map((message) => message.text))).toEqual(["kept"]);
  });
});
