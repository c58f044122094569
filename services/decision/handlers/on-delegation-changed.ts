import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import type { DetailOf } from "../../../events/contract.ts";
import { DelegationChanged } from "../../../events/delegation-changed.ts";
import { observe } from "../../shared/observability.ts";
import { type DelegationsCopyStore, delegationsCopy } from "../delegations.ts";

export interface OnDelegationChangedDeps {
  copies: Pick<DelegationsCopyStore, "keepNewer">;
  logger: Logger;
}

/**
 * On DelegationChanged: keeps the approver's windows in decision's copy, unless a newer change is
 * there already (events may arrive late or twice, in any order).
 */
export const createOnDelegationChangedHandler = ({ copies, logger }: OnDelegationChangedDeps) =>
  middy()
    .use(injectLambdaContext(logger))
    .use(observe("decision"))
    .use(parser({ schema: DelegationChanged.schema, envelope: EventBridgeEnvelope }))
    .handler(async (changed: DetailOf<typeof DelegationChanged>) => {
      const kept = await copies.keepNewer(changed);
      logger.info(kept ? "Delegations copied" : "Older delegations ignored", {
        approver: changed.approver,
        windows: changed.windows.length,
        changedAt: changed.changedAt,
      });
    });

export const handler = createOnDelegationChangedHandler({
  copies: delegationsCopy,
  logger: new Logger({ serviceName: "decision" }),
});
