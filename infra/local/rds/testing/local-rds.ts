import { RDSClient } from "@aws-sdk/client-rds";
import { TEST_SERVICES_PRINCIPAL } from "../../../../test/support/local-events.ts";
import { OUTSIDE_PRINCIPAL, type Principal } from "../../edge/principals.ts";
import { startEdge } from "../../edge/server.ts";
import { LocalRds, type RdsEvent } from "../local-rds.ts";
import { createRdsApi } from "../rds-api.ts";

/**
 * The local RDS on `dataDir` behind a local edge that knows the stack's services and the outside
 * principal, its events kept in `events` rather than put on a bus. `close` stops both and the clients
 * made, and leaves `dataDir`.
 */
export const startLocalRdsAtEdge = async (
  dataDir: string,
  { createDelayMs = 50, deleteDelayMs = 50 }: { createDelayMs?: number; deleteDelayMs?: number } = {},
) => {
  const events: RdsEvent[] = [];
  const rds = await LocalRds.open({
    dataDir,
    host: "127.0.0.1",
    createDelayMs,
    deleteDelayMs,
    onEvent: async (event) => {
      events.push(event);
    },
  });
  const edge = await startEdge({
    port: 0,
    services: { rds: createRdsApi(rds) },
    principals: [TEST_SERVICES_PRINCIPAL, OUTSIDE_PRINCIPAL],
  });
  const clients: RDSClient[] = [];
  return {
    events,
    /** A real RDS client at the edge, as a service signs, not retrying. */
    clientAs: (principal: Principal, region: string) => {
      const client = new RDSClient({
        endpoint: edge.url,
        region,
        credentials: { accessKeyId: principal.accessKeyId, secretAccessKey: principal.secretAccessKey },
        maxAttempts: 1,
      });
      clients.push(client);
      return client;
    },
    close: async () => {
      for (const client of clients.splice(0)) client.destroy();
      await edge.close();
      await rds.close();
    },
  };
};
