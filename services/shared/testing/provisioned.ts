import type { DetailInputOf } from "../../../events/contract.ts";
import type { ResourceProvisioned } from "../../../events/resource-provisioned.ts";
import { sampleDatabaseRequest, sampleRequest } from "../../../test/support/fixtures.ts";

/** What provisioning reports (ResourceProvisioned's detail), for the news every channel tells of it. */

type Provisioned = DetailInputOf<typeof ResourceProvisioned>;

/** The EC2 instance of `sampleRequest`, running. */
export const instanceProvisioned = (requestId: string): Provisioned => ({
  requestId,
  request: sampleRequest({ requestId }),
  instanceId: "i-0123456789abcdef0",
  privateIp: "10.0.1.25",
  provisionedAt: "2030-01-01T10:05:00.000Z",
});

/** The secret RDS keeps the database's password in: the news names it, never the password. */
export const DATABASE_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:000000000000:secret:rds!db-0123-AbCdEf";

/** The RDS database of `sampleDatabaseRequest`, available. */
export const databaseProvisioned = (requestId: string): Provisioned => ({
  requestId,
  request: sampleDatabaseRequest({ requestId }),
  database: {
    identifier: "orders-db-1",
    host: "orders-db-1.abc.us-east-1.rds.amazonaws.com",
    port: 5432,
    databaseName: "orders",
    masterUserSecretArn: DATABASE_SECRET_ARN,
  },
  provisionedAt: "2030-01-01T10:05:00.000Z",
});
