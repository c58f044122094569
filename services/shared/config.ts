import { z } from "zod";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/**
 * Names a setting's problem the way an operator wrote it: a JSON setting down to the entry at fault
 * (`IMAGE_IDS.ubuntu-24.04.arm64`), a comma-separated list by its name alone (an index would only confuse).
 */
export const settingEntryOf = (path: readonly PropertyKey[]): string =>
  path.filter((segment) => typeof segment !== "number").join(".");

/**
 * Reads a service's environment once, at module load, and fails with every missing or malformed
 * variable named, instead of failing later at the first request that needs it.
 */
export const loadConfig = <Shape extends z.ZodRawShape>(
  shape: Shape,
  env: Record<string, string | undefined> = process.env,
): z.output<z.ZodObject<Shape>> => {
  const result = z.object(shape).safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = String(issue.path[0]);
    return env[variable] === undefined
      ? `${variable} is not set`
      : `${settingEntryOf(issue.path)} ${issue.message}`;
  });
  throw new ConfigError(`Invalid configuration: ${problems.join("; ")}`, { cause: result.error });
};

const commaSeparated = (value: string): string[] =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);

/**
 * A JSON setting, read by `schema`: it arrives as JSON text (an environment variable, `-c key=...`) or
 * already parsed (cdk.json); text that is not JSON is refused with an example of what is.
 */
export const jsonSetting = <S extends z.ZodType>(example: string, schema: S) =>
  z.preprocess((value, context) => {
    if (typeof value !== "string") return value;
    try {
      return JSON.parse(value) as unknown;
    } catch (error) {
      context.addIssue({
        code: "custom",
        input: value,
        message: `must be JSON like ${example} (${(error as Error).message})`,
      });
      return z.NEVER;
    }
  }, schema);

/** Variable parsers shared by every service's config (and the local runtime's). */
export const env = {
  text: () => z.string().trim().min(1, "must not be empty"),
  url: () => z.url({ error: "must be an absolute URL" }).transform((value) => value.replace(/\/+$/, "")),
  /** A whole number at least `min` (and at most `max`), e.g. a count, a duration in ms, a port. */
  wholeNumber: (min: number, max = Number.MAX_SAFE_INTEGER) =>
    z.coerce
      .number({ error: "must be a whole number" })
      .int("must be a whole number")
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`),
  positiveInt: () => env.wholeNumber(1),
  emailList: () =>
    z
      .string()
      .transform((value) => commaSeparated(value.toLowerCase()))
      .pipe(
        z.array(z.email("must be comma-separated email addresses")).min(1, "must name at least one address"),
      ),
  email: () => z.email("must be an email address"),
  /** `true` or `false`; unset is false. */
  flag: () =>
    z
      .enum(["true", "false"], { error: "must be true or false" })
      .default("false")
      .transform((value) => value === "true"),
  list: () => z.string().transform(commaSeparated),
};
