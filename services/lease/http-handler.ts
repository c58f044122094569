import { handleBehindCloudFront } from "../shared/behind-cloudfront.ts";
import { app } from "./http.ts";

export const handler = handleBehindCloudFront(app);
