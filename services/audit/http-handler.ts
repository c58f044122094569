import { handle } from "hono/aws-lambda";
import { app } from "./http.ts";

export const handler = handle(app);
