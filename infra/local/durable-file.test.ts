import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DurableFile, DurableState, readFileIfExists } from "./durable-file.ts";

const directories: string[] = [];
const freshPath = () => {
  const directory = mkdtempSync(join(tmpdir(), "durable-file-"));
  directories.push(directory);
  return join(directory, "state.json");
};
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

class Refused extends Error {}

describe("a file written one write at a time", () => {
  it("keeps the last write asked for, however many are asked for at once", async () => {
    const path = freshPath();
    const file = new DurableFile(path);

    await Promise.all(Array.from({ length: 20 }, (_, index) => file.write(`write ${index}`)));

    expect(readFileSync(path, "utf8")).toBe("write 19");
  });

  it("fails only the caller of a failed step; the writes after it still land", async () => {
    const path = freshPath();
    const file = new DurableFile(path);

    const failing = file.inTurn(async () => {
      throw new Refused();
    });
    const next = file.write("after the failure");

    await expect(failing).rejects.toBeInstanceOf(Refused);
    await next;
    expect(readFileSync(path, "utf8")).toBe("after the failure");
  });

  it("is created with the mode it is given", async () => {
    const path = freshPath();

    await new DurableFile(path, 0o600).write("secret");

    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("reads as undefined until it exists", async () => {
    const path = freshPath();
    expect(await readFileIfExists(path)).toBeUndefined();

    await new DurableFile(path).write("written");

    expect(await readFileIfExists(path)).toBe("written");
  });
});

describe("a state kept whole in a file", () => {
  const counter = (path: string) => new DurableState(path, { count: 0 }, (state) => JSON.stringify(state));

  it("applies each change to what the change before it left, and has it on disk when it resolves", async () => {
    const path = freshPath();
    const state = counter(path);

    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        state.change((draft) => {
          draft.count += 1;
          return draft.count;
        }),
      ),
    );

    expect(results).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(state.value).toEqual({ count: 10 });
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ count: 10 });
  });

  it("does not show a change before it is on disk", async () => {
    const state = counter(freshPath());

    const changed = state.change((draft) => {
      draft.count = 5;
    });

    expect(state.value).toEqual({ count: 0 });
    await changed;
    expect(state.value).toEqual({ count: 5 });
  });

  it("is left as it was by a change that throws, and goes on with the next", async () => {
    const path = freshPath();
    const state = counter(path);
    await state.change((draft) => {
      draft.count = 1;
    });

    const refused = state.change((draft) => {
      draft.count = 99;
      throw new Refused();
    });
    const next = state.change((draft) => {
      draft.count += 1;
    });

    await expect(refused).rejects.toBeInstanceOf(Refused);
    await next;
    expect(state.value).toEqual({ count: 2 });
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ count: 2 });
  });

  it("is settled once every change asked for has finished, failed ones included", async () => {
    const state = counter(freshPath());
    const failed = state.change(() => {
      throw new Refused();
    });
    void state.change((draft) => {
      draft.count = 3;
    });

    await state.settled();

    expect(state.value).toEqual({ count: 3 });
    await expect(failed).rejects.toBeInstanceOf(Refused);
  });
});
