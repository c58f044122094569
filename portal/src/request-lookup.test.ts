import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/client.ts";
import type { RequestWithTimeline } from "../../api/schemas.ts";
import { nextLookupStep, UNKNOWN_AFTER_MS } from "./request-lookup.ts";

const view = (status: RequestWithTimeline["status"]): RequestWithTimeline => ({
  requestId: "walk-1",
  status,
  submittedAt: "2025-06-01T12:00:00.000Z",
  updatedAt: "2025-06-01T12:00:00.000Z",
  timeline: [],
});

const notFound = { error: new ApiError(404, "No request with id walk-1") };
const opened = { submitted: false, waitedMs: 0 };

describe("the request page's next step after asking for its request", () => {
  it("shows a pending request and asks again", () => {
    expect(nextLookupStep({ view: view("PENDING_APPROVAL") }, opened)).toEqual({
      show: "request",
      view: view("PENDING_APPROVAL"),
      askAgain: true,
    });
  });

  it("shows a final request and stops asking", () => {
    expect(nextLookupStep({ view: view("RELEASED") }, opened)).toMatchObject({ askAgain: false });
  });

  it("waits for an unknown id while it may still be being recorded", () => {
    const step = nextLookupStep(notFound, { submitted: false, waitedMs: UNKNOWN_AFTER_MS - 1 });

    expect(step).toEqual({ show: "waiting", askAgain: true });
  });

  it("says that no such request exists once the id has stayed unknown long enough", () => {
    const step = nextLookupStep(notFound, { submitted: false, waitedMs: UNKNOWN_AFTER_MS });

    expect(step).toEqual({ show: "no-such-request", askAgain: false });
  });

  it("keeps waiting for a request the form submitted, however long it takes", () => {
    const step = nextLookupStep(notFound, { submitted: true, waitedMs: 10 * UNKNOWN_AFTER_MS });

    expect(step).toEqual({ show: "waiting", askAgain: true });
  });

  it("says at once that no request exists for an id the API refuses", () => {
    const malformed = { error: new ApiError(400, "Path is invalid: id must match") };

    expect(nextLookupStep(malformed, opened)).toEqual({ show: "no-such-request", askAgain: false });
  });

  it.each([
    ["the network fails", new TypeError("Failed to fetch")],
    ["the API fails", new ApiError(503, "Service unavailable")],
  ])("keeps asking when %s, however long it takes", (_, error) => {
    const step = nextLookupStep({ error }, { submitted: false, waitedMs: 10 * UNKNOWN_AFTER_MS });

    expect(step).toEqual({ show: "unavailable", message: error.message, askAgain: true });
  });
});
