import { CATALOG } from "../events/index.ts";
import { services } from "../services/registry.ts";
import { eventsTable, publishersFromManifests } from "./events-table.ts";

export const ARCHITECTURE_DOC = new URL("../docs/ARCHITECTURE.md", import.meta.url);

/** The events table of docs/ARCHITECTURE.md as this repository's catalog and services make it. */
export const architectureEventsTable = (): string =>
  eventsTable({ catalog: CATALOG, services, publishersOf: publishersFromManifests(services) });
