import { costPartInWords, monthlyCostInWords } from "../../api/request-words.ts";
import type { CostEstimate } from "../../events/cost-estimate.ts";
import { h } from "./dom.ts";

export type Answer<T> = { ok: true; value: T } | { ok: false; error: unknown };

export interface LatestAnswerOptions<Question, Value> {
  /** How long the questions must stop changing before the last one is asked. */
  delayMs: number;
  ask: (question: Question) => Promise<Value>;
  show: (answer: Answer<Value>, question: Question) => void;
}

/**
 * Asks only the latest of a run of questions, once they stop changing, and shows only the answer to
 * the latest question asked: an answer arriving after a newer question was put is stale, and dropped,
 * so a slow answer never overwrites a newer one. No question (undefined) asks nothing and drops any
 * answer still coming.
 */
export const latestAnswers = <Question, Value>({
  delayMs,
  ask,
  show,
}: LatestAnswerOptions<Question, Value>) => {
  let latest = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (question: Question | undefined) => {
    clearTimeout(timer);
    const ticket = ++latest;
    if (question === undefined) return;
    timer = setTimeout(async () => {
      const answer: Answer<Value> = await ask(question).then(
        (value) => ({ ok: true, value }),
        (error: unknown) => ({ ok: false, error }),
      );
      if (ticket === latest) show(answer, question);
    }, delayMs);
  };
};

/**
 * A cost estimate as the portal shows it, on the form and on a request's page: the monthly total
 * ("unknown", never $0, when a price is), each part, and the region and day of the prices.
 */
export const estimateView = (estimatedMonthlyCostUsd: number | null, costEstimate: CostEstimate) =>
  h(
    "div",
    { class: "estimate" },
    h(
      "p",
      {},
      "Estimated monthly cost: ",
      h("strong", { "data-estimate-total": true }, monthlyCostInWords(estimatedMonthlyCostUsd)),
    ),
    h("ul", {}, ...costEstimate.parts.map((part) => h("li", {}, costPartInWords(part)))),
    h(
      "p",
      { class: "muted" },
      `On-demand list prices for ${costEstimate.region} as of ${costEstimate.pricesAsOf}.`,
      ...(costEstimate.notes ?? []).map((note) => ` ${note}`),
    ),
  );
