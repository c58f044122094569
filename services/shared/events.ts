import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { createPublisher } from "../../events/publish.ts";
import { env, loadConfig } from "./config.ts";
import { traced } from "./observability.ts";

const config = loadConfig({ EVENT_BUS_NAME: env.text() });

/** The approvals bus, reached through the SDK's standard endpoint resolution (AWS_ENDPOINT_URL locally). */
export const eventBridge = traced(new EventBridgeClient({}));

export const publisher = createPublisher({ client: eventBridge, eventBusName: config.EVENT_BUS_NAME });
