import { DEFAULT_BUS, type EventContract, producersOf } from "../events/contract.ts";
import type { EventPattern } from "../events/patterns.ts";

/** The catalog or the subscriptions say something the events table cannot show truthfully. */
export class EventsTableError extends Error {
  override readonly name = "EventsTableError";
}

/** What the table needs of a service: its name and the rules it subscribes with (schedules have no pattern). */
export interface SubscribingService {
  name: string;
  subscriptions: readonly { name: string; pattern?: EventPattern }[];
}

export interface EventsTableSources {
  catalog: readonly EventContract[];
  services: readonly SubscribingService[];
  /** The services of ours that publish an event. */
  publishersOf: (contract: EventContract) => readonly string[];
}

/** What the table needs of a service to name it as a publisher: what its manifest says it publishes. */
export interface PublishingService {
  name: string;
  publishes: readonly { contract: { detailType: string } }[];
}

/** The services whose manifests declare they publish an event, under whichever of its sources. */
export const publishersFromManifests =
  (services: readonly PublishingService[]) =>
  (contract: EventContract): string[] =>
    services
      .filter((service) =>
        service.publishes.some((publication) => publication.contract.detailType === contract.detailType),
      )
      .map((service) => service.name);

/** Publishers that are not services of ours, as the catalog declares them. */
const outsidePublishersOf = (contract: EventContract): string[] => [
  ...(contract.openToAnySource ? ["any outside system, under a source of its own"] : []),
  // AWS publishes its services' events under `aws.<service>`, always to the account's default bus.
  ...(contract.source.startsWith("aws.")
    ? [`AWS (\`${contract.source}\`, on the \`${DEFAULT_BUS}\` bus)`]
    : []),
];

/** A pattern's alternatives: itself, or each branch of its top-level `$or` with the fields beside it. */
const alternativesOf = (pattern: EventPattern, subscription: string): EventPattern[] => {
  const { $or: branches, ...beside } = pattern;
  if (branches === undefined) return [pattern];
  if (!Array.isArray(branches)) throw new EventsTableError(`${subscription}: $or must be an array`);
  return branches.flatMap((branch: EventPattern) => {
    const both = Object.keys(branch).filter((field) => field in beside);
    if (both.length > 0) {
      throw new EventsTableError(`${subscription}: ${both.join(", ")} is matched both inside and beside $or`);
    }
    return alternativesOf({ ...beside, ...branch }, subscription);
  });
};

/** The exact values a top-level field must take, or undefined when the alternative leaves it open. */
const exactValuesOf = (alternative: EventPattern, field: string, subscription: string) => {
  const values = alternative[field];
  if (values === undefined) return undefined;
  if (!Array.isArray(values) || !values.every((value) => typeof value === "string")) {
    throw new EventsTableError(
      `${subscription}: its ${field} is matched other than by exact values, so which events it takes cannot be listed`,
    );
  }
  return values as string[];
};

const consumes = (alternative: EventPattern, contract: EventContract, subscription: string) => {
  const detailTypes = exactValuesOf(alternative, "detail-type", subscription);
  const sources = exactValuesOf(alternative, "source", subscription);
  const takesDetailType = detailTypes?.includes(contract.detailType) ?? true;
  const takesSource =
    sources === undefined ||
    contract.openToAnySource === true ||
    producersOf(contract).some((source) => sources.includes(source));
  return takesDetailType && takesSource;
};

/** Each leaf of a `detail` filter as `path is a or b`, so content routing shows in the table. */
const detailConditionsOf = (filter: unknown, path: string[] = []): string[] => {
  if (Array.isArray(filter)) {
    const values = filter.map((value) => (typeof value === "string" ? value : JSON.stringify(value)));
    const listed = values.length > 1 ? `${values.slice(0, -1).join(", ")} or ${values.at(-1)}` : values[0];
    return [`\`${path.join(".")}\` is ${listed}`];
  }
  if (typeof filter !== "object" || filter === null) return [];
  return Object.entries(filter).flatMap(([field, nested]) => detailConditionsOf(nested, [...path, field]));
};

const consumerLabel = (service: string, alternative: EventPattern) => {
  const conditions = detailConditionsOf(alternative.detail);
  return conditions.length > 0 ? `${service}, when ${conditions.join(" and ")}` : service;
};

/** One way a subscription takes events: an alternative of its pattern. */
interface Intake {
  service: string;
  subscription: string;
  alternative: EventPattern;
}

const intakesOf = ({ catalog, services }: EventsTableSources): Intake[] =>
  services.flatMap((service) =>
    service.subscriptions.flatMap(({ name: subscription, pattern }) =>
      pattern === undefined
        ? []
        : alternativesOf(pattern, subscription).map((alternative) => {
            for (const detailType of exactValuesOf(alternative, "detail-type", subscription) ?? []) {
              if (!catalog.some((contract) => contract.detailType === detailType)) {
                throw new EventsTableError(`${subscription}: ${detailType} is not an event of the catalog`);
              }
            }
            return { service: service.name, subscription, alternative };
          }),
    ),
  );

const consumersOf = (contract: EventContract, intakes: readonly Intake[]): string[] => [
  ...new Set(
    intakes
      .filter(({ alternative, subscription }) => consumes(alternative, contract, subscription))
      .map(({ service, alternative }) => consumerLabel(service, alternative)),
  ),
];

/** A table cell holds one line, and a pipe would end it early. */
const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll(/\s*\n\s*/g, " ");

/**
 * The events table of docs/ARCHITECTURE.md: one row per catalog event, in catalog order, naming who
 * publishes it and who consumes it, as the catalog and the services' subscriptions say.
 */
export const eventsTable = (sources: EventsTableSources): string => {
  const intakes = intakesOf(sources);
  const rows = sources.catalog.map((contract) => {
    const producers = [...sources.publishersOf(contract), ...outsidePublishersOf(contract)];
    if (producers.length === 0) throw new EventsTableError(`Nobody publishes ${contract.detailType}`);
    const consumers = consumersOf(contract, intakes);
    return [
      `\`${contract.detailType}\``,
      producers.join("; "),
      consumers.length > 0 ? consumers.join("; ") : "nobody",
      contract.description,
    ].map(cell);
  });
  return [
    "| detail-type | published by | consumed by | what it says |",
    "| --- | --- | --- | --- |",
    ...rows.map((row) => `| ${row.join(" | ")} |`),
  ].join("\n");
};

export const EVENTS_TABLE_START = "<!-- events-table:start -->";
export const EVENTS_TABLE_END = "<!-- events-table:end -->";

const regionOf = (document: string) => {
  const start = document.indexOf(EVENTS_TABLE_START);
  const end = document.indexOf(EVENTS_TABLE_END);
  if (start === -1 || end < start) {
    throw new EventsTableError(`The document needs ${EVENTS_TABLE_START} and then ${EVENTS_TABLE_END}`);
  }
  return { inside: start + EVENTS_TABLE_START.length, end };
};

/** The table as the document holds it between its markers. */
export const eventsTableIn = (document: string): string => {
  const { inside, end } = regionOf(document);
  return document.slice(inside, end).trim();
};

/** The document with `table` between its markers; everything outside them is left as it was. */
export const withEventsTable = (document: string, table: string): string => {
  const { inside, end } = regionOf(document);
  return `${document.slice(0, inside)}\n${table}\n${document.slice(end)}`;
};
