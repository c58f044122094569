import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";

/** main.ts's import specifiers, in order. */
const importsOfMain = () =>
  [
    ...readFileSync(new URL("./main.ts", import.meta.url), "utf8").matchAll(
      /^import\s(?:.*\sfrom\s)?"([^"]+)";$/gm,
    ),
  ].map(([, specifier]) => specifier);

describe("zod in the portal, under a CSP without 'unsafe-eval'", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    // Unit tests share their workers' modules: the other tests get zod as they found it.
    z.config({ jitless: undefined });
  });

  it("never calls `new Function`, which the browser would report as a CSP violation", async () => {
    const refused: string[] = [];
    // What the browser does under the CSP: refuses the call, and reports it even when it is caught.
    vi.stubGlobal(
      "Function",
      new Proxy(Function, {
        construct: (_target, args: string[]) => {
          refused.push(args.join(", "));
          throw new EvalError("Refused to evaluate a string as JavaScript: 'unsafe-eval' is not allowed");
        },
      }),
    );
    await import("./zod-jitless.ts");

    const request = z.object({ name: z.string(), count: z.number() });
    expect(request.parse({ name: "web", count: 2 })).toEqual({ name: "web", count: 2 });
    expect(refused).toEqual([]);
  });

  it("is configured by the portal's entry before any other module builds a schema", () => {
    expect(importsOfMain()[0]).toBe("./zod-jitless.ts");
  });
});
