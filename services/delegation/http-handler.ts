import middy from "@middy/core";
import { handleBehindCloudFront } from "../shared/behind-cloudfront.ts";
import { observe } from "../shared/observability.ts";
import { app } from "./http.ts";

export const handler = middy(handleBehindCloudFront(app)).use(observe("delegation"));
