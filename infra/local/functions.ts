import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Context } from "aws-lambda";
import type { HandlerRef, ServiceManifest } from "../../services/shared/manifest.ts";
import type { BusEvent, LocalRule } from "./eventbridge/types.ts";
import { LOCAL_ACCOUNT_ID } from "./eventbridge/types.ts";
import { invokeWithDeadline } from "./lambda-context.ts";

export const REPO_ROOT = resolve(import.meta.dirname, "..", "..");

type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

export class HandlerNotExportedError extends Error {
  override readonly name = "HandlerNotExportedError";
}

/** Imports a module named by a manifest (a path from the repository root), as Lambda loads a bundle. */
export const importFromRepository = async (entry: string): Promise<Record<string, unknown>> =>
  (await import(pathToFileURL(join(REPO_ROOT, entry)).href)) as Record<string, unknown>;

const importHandler = async (ref: HandlerRef): Promise<LambdaHandler> => {
  const handler = (await importFromRepository(ref.entry))[ref.exportName];
  if (typeof handler !== "function")
    throw new HandlerNotExportedError(`${ref.entry} does not export a function '${ref.exportName}'`);
  return handler as LambdaHandler;
};

/**
 * The bus rules of every service's subscriptions, each invoking its handler as Lambda would: loaded on
 * first use (once per module, like a warm function) and run under the function's timeout.
 */
export const rulesOf = (services: readonly ServiceManifest[], region: string): LocalRule[] => {
  const loaded = new Map<string, Promise<LambdaHandler>>();
  const invoke = (ref: HandlerRef, functionName: string) => async (event: BusEvent) => {
    const key = `${ref.entry}#${ref.exportName}`;
    let handler = loaded.get(key);
    if (!handler) {
      handler = importHandler(ref);
      loaded.set(key, handler);
    }
    await invokeWithDeadline(await handler, event, { functionName, region, accountId: LOCAL_ACCOUNT_ID });
  };

  return services.flatMap((service) =>
    service.subscriptions.map((subscription): LocalRule => {
      const target = invoke(subscription.handler, subscription.name);
      return subscription.kind === "event"
        ? {
            name: subscription.name,
            eventBusName: subscription.eventBusName,
            pattern: subscription.pattern,
            target,
          }
        : { name: subscription.name, schedule: subscription.schedule, target };
    }),
  );
};
