import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export class PostgresStartError extends Error {
  override readonly name = "PostgresStartError";
}

export interface RunningPostgres {
  readonly port: number;
  close(): Promise<void>;
}

export interface PostgresOptions {
  /** PGlite keeps the whole cluster here; it survives restarts. */
  dataDir: string;
  /** Made on the first start when given, then the database every connection is served. */
  databaseName?: string;
  host: string;
  /** The port to listen on again after a restart; taken by someone else, a free one is chosen. */
  preferredPort?: number;
}

/** PGlite multiplexes connections onto its one backend; a few let psql and an app be connected at once. */
const MAX_CONNECTIONS = 16;

const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`;

const listen = async (db: PGlite, host: string, port: number): Promise<PGLiteSocketServer> => {
  const server = new PGLiteSocketServer({ db, host, port, maxConnections: MAX_CONNECTIONS });
  await server.start();
  return server;
};

const portOf = (server: PGLiteSocketServer) => Number(server.getServerConn().split(":").pop());

/**
 * A real PostgreSQL (PGlite, Postgres compiled to WebAssembly) served over the wire protocol. PGlite runs
 * one backend on one database: a named database is created in its cluster and then opened, so that is
 * the one every connection gets, whatever database name the client asks for. The socket server does
 * not authenticate: any user name and password are accepted, and the session is PGlite's `postgres`
 * superuser.
 */
export const startPostgres = async ({
  dataDir,
  databaseName,
  host,
  preferredPort,
}: PostgresOptions): Promise<RunningPostgres> => {
  let db: PGlite | undefined;
  try {
    db = await PGlite.create({ dataDir });
    if (databaseName !== undefined) {
      const existing = await db.query("select 1 from pg_database where datname = $1", [databaseName]);
      if (existing.rows.length === 0) await db.exec(`CREATE DATABASE ${quoteIdentifier(databaseName)}`);
      await db.close();
      db = await PGlite.create({ dataDir, database: databaseName });
    }
    let server: PGLiteSocketServer;
    try {
      server = await listen(db, host, preferredPort ?? 0);
    } catch (error) {
      if (preferredPort === undefined) throw error;
      console.warn(`[local-rds] port ${preferredPort} is taken: the endpoint moves to a free port`, error);
      server = await listen(db, host, 0);
    }
    const running = db;
    return {
      port: portOf(server),
      close: async () => {
        await server.stop();
        await running.close();
      },
    };
  } catch (error) {
    await db?.close().catch(() => undefined);
    throw new PostgresStartError(`PostgreSQL could not start on ${dataDir}`, { cause: error });
  }
};
