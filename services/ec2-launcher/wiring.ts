import type { Logger } from "@aws-lambda-powertools/logger";
import { deployedReaperDeps } from "../shared/release-handler.ts";
import { releaseCheckDelaysMs } from "./config.ts";
import { ec2Gateway } from "./ec2.ts";
import { createReaper } from "./reaper.ts";
import { launchStore } from "./store.ts";

/** The reaper of the handlers that release, logging through the handler's own logger. */
export const reaperLoggingTo = (logger: Logger) =>
  createReaper({ ...deployedReaperDeps(launchStore, releaseCheckDelaysMs, logger), ec2: ec2Gateway });
