import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type Answer, latestAnswers } from "./estimate.ts";

/** An answer the test gives when it chooses, to put answers out of order. */
const pending = <T>() => {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
};

describe("the live estimate's questions", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const setUp = () => {
    const answers = new Map<string, ReturnType<typeof pending<string>>>();
    const asked: string[] = [];
    const shown: Answer<string>[] = [];
    const ask = latestAnswers<string, string>({
      delayMs: 300,
      ask: (question) => {
        asked.push(question);
        const answer = pending<string>();
        answers.set(question, answer);
        return answer.promise;
      },
      show: (answer) => shown.push(answer),
    });
    return { ask, asked, shown, answerTo: (question: string) => answers.get(question) };
  };

  it("asks only the last of questions put in quick succession", async () => {
    const { ask, asked } = setUp();

    ask("t4g.micro");
    ask("t4g.small");
    ask("m7g.large");
    await vi.runAllTimersAsync();

    expect(asked).toEqual(["m7g.large"]);
  });

  it("drops an answer that arrives after a newer question was asked, and shows the newer one", async () => {
    const { ask, shown, answerTo } = setUp();

    ask("micro");
    await vi.runAllTimersAsync();
    ask("large");
    await vi.runAllTimersAsync();
    answerTo("large")?.resolve("$120.00");
    answerTo("micro")?.resolve("$12.00");
    await vi.runAllTimersAsync();

    expect(shown).toEqual([{ ok: true, value: "$120.00" }]);
  });

  it("drops the answer still coming once the question is withdrawn", async () => {
    const { ask, shown, answerTo } = setUp();

    ask("micro");
    await vi.runAllTimersAsync();
    ask(undefined);
    answerTo("micro")?.resolve("$12.00");
    await vi.runAllTimersAsync();

    expect(shown).toEqual([]);
  });
});
