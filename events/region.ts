import { z } from "zod";
import { mustBe } from "./fields.ts";

/** An AWS region's code, e.g. `eu-west-1` or `us-gov-west-1`: which ones a request may use is the operator's setting. */
export const regionSchema = z
  .string(mustBe("a string"))
  .regex(/^[a-z]{2}(?:-[a-z]+)+-\d+$/, "must be an AWS region code such as eu-west-1");

export type Region = z.output<typeof regionSchema>;
