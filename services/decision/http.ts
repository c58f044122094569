import { Logger } from "@aws-lambda-powertools/logger";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import { createChatSettingsProvider } from "../shared/chat-settings.ts";
import {
  DECISION_ACTIONS,
  DECISION_PATHS,
  type DecisionAction,
  hashToken,
  verifyDecisionToken,
} from "../shared/decision-token.ts";
import { type Directory, directory } from "../shared/directory.ts";
import { publisher } from "../shared/events.ts";
import { hmacKey } from "../shared/hmac-key.ts";
import type { SafeHtml } from "../shared/html.ts";
import { answerUnrouted, closeAfterEarlyAnswer } from "../shared/http.ts";
import { accessTokenVerifier } from "../shared/http-auth.ts";
import { THEME_STYLE_HASH } from "../shared/layout.ts";
import { createDecisionApi } from "./api.ts";
import { approvalsTableName, config } from "./config.ts";
import { decide, refusalUnlessStillApprover } from "./decide.ts";
import { type DelegationLookup, delegationsCopy } from "./delegations.ts";
import {
  checkReason,
  judgeDecision,
  MISSING_TOKEN,
  type Refusal,
  refusalForToken,
  waitingForOf,
} from "./domain.ts";
import { createOutboxPublisher, type OutboxPublisher, publishOrLeaveToSweeper } from "./outbox.ts";
import { confirmationPage, messagePage, signInPage } from "./pages.ts";
import { createSlackInteractions } from "./slack/interactions.ts";
import { slackApiOf } from "./slack/web-api.ts";
import { type ApprovalStore, createApprovalStore } from "./store.ts";
import { schedules } from "./wiring.ts";

/** A form holds a token and at most a reason of 1,000 characters; anything far larger is not ours. */
const MAX_FORM_BYTES = 32 * 1024;

export interface DecisionAppDeps {
  store: ApprovalStore;
  publishOwed: OutboxPublisher;
  hmacKey: () => Promise<Buffer>;
  now: () => Date;
  /** The site the links point at; a POST must come from its origin. */
  publicUrl: string;
  /** Who is in which group now: a link of someone removed from its stage's groups decides nothing. */
  directory: Directory;
  /** Who is away when a later stage starts (delegations.ts); without it, nobody is. */
  delegations?: DelegationLookup;
  /** Links then decide only in the portal, signed in as their approver; their pages only point there. */
  decisionsRequireSignIn: boolean;
  logger: Logger;
}

const SIGN_IN_REQUIRED: Refusal = {
  status: 403,
  title: "Decisions need sign-in",
  message:
    "Nothing was decided. Open the link from the approval email again and sign in as the approver it was sent to.",
};

const UNREADABLE_FORM: Refusal = {
  status: 400,
  title: "The form could not be read",
  message: "Nothing was decided. Open the link from the approval email again and press its button.",
};

const ACTION_DONE: Record<DecisionAction, { badge: string; tone: "ok" | "bad"; next: string }> = {
  approve: {
    badge: "Approved",
    tone: "ok",
    next: "The requester will be told, and the resource will be provisioned.",
  },
  reject: { badge: "Rejected", tone: "bad", next: "The requester will be told, with your reason." },
};

/** The same, for a link of an extension's round. */
const EXTENSION_DONE: typeof ACTION_DONE = {
  approve: { badge: "Approved", tone: "ok", next: "The requester will be told, and the lease extended." },
  reject: { badge: "Rejected", tone: "bad", next: "The requester will be told, with your reason." },
};

const page = (c: Context, body: SafeHtml, status: 200 | Refusal["status"] | 413 | 500 = 200) =>
  c.html(body.value, status);

const refusalPage = (c: Context, refusal: Refusal) =>
  page(c, messagePage({ title: refusal.title, message: refusal.message }), refusal.status);

/**
 * The approver's pages. GET (and HEAD) only show what a link would decide: mail scanners open links.
 * The POST decides, once, and only from our own origin. Every token is checked against its MAC in
 * constant time before the table is read, and every problem with a link is a 4xx page, never a 5xx.
 * A link may be opened before its request's ApprovalRequested reached decision: its verified claims
 * are then all the page shows, and a decision is recorded early (see `decide`).
 */
export const createDecisionApp = (deps: DecisionAppDeps) => {
  // Not createServiceApp: these are pages for people, so errors are pages too, not JSON.
  const app = new Hono();
  const pages = "/decisions/*";

  app.use(
    pages,
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        styleSrc: [THEME_STYLE_HASH],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
      referrerPolicy: "no-referrer",
      xFrameOptions: "DENY",
    }),
  );
  app.use(pages, async (c, next) => {
    await next();
    // Pages carry request details and live links: no cache keeps them.
    c.header("Cache-Control", "no-store");
  });
  app.post(
    pages,
    bodyLimit({
      maxSize: MAX_FORM_BYTES,
      onError: (c) => {
        closeAfterEarlyAnswer(c);
        return page(
          c,
          messagePage({ title: "Form too large", message: "Nothing was decided. Try a shorter reason." }),
          413,
        );
      },
    }),
    // Our own form's POST carries `Origin: null` under no-referrer, so Sec-Fetch-Site is what passes it.
    csrf({ origin: new URL(deps.publicUrl).origin, secFetchSite: "same-origin" }),
  );

  const verify = async (token: string, action: DecisionAction, now: Date) =>
    verifyDecisionToken(token, action, await deps.hmacKey(), now);

  for (const action of DECISION_ACTIONS) {
    app.get(DECISION_PATHS[action], async (c) => {
      const token = c.req.query("token");
      if (!token) return refusalPage(c, MISSING_TOKEN);
      const now = deps.now();
      const check = await verify(token, action, now);
      if (!check.valid) return refusalPage(c, refusalForToken(check.problem));
      const { claims } = check;
      const record = await deps.store.get(claims.requestId);
      const judgement = judgeDecision(record, claims, hashToken(token), now);
      if (!judgement.decidable) return refusalPage(c, judgement.refusal);
      const removed = await refusalUnlessStillApprover(deps.directory, record, claims.approver);
      if (removed) return refusalPage(c, removed);
      const { approval } = judgement;
      if (deps.decisionsRequireSignIn) {
        return page(c, signInPage({ requestId: claims.requestId, approver: claims.approver, action, token }));
      }
      return page(
        c,
        confirmationPage({
          action,
          token,
          requestId: claims.requestId,
          request: approval?.request,
          approver: claims.approver,
          expiresAt: approval?.expiresAt ?? claims.expiresAt.toISOString(),
          extension: approval?.extension,
          lease: approval?.lease,
        }),
      );
    });

    app.post(DECISION_PATHS[action], async (c) => {
      if (deps.decisionsRequireSignIn) return refusalPage(c, SIGN_IN_REQUIRED);
      const form = await c.req.parseBody().catch((error: unknown) => {
        deps.logger.info("Unreadable decision form", { error });
        return undefined;
      });
      if (!form) return refusalPage(c, UNREADABLE_FORM);
      const token = typeof form.token === "string" ? form.token : "";
      if (!token) return refusalPage(c, MISSING_TOKEN);
      const now = deps.now();
      const check = await verify(token, action, now);
      if (!check.valid) return refusalPage(c, refusalForToken(check.problem));
      const { claims } = check;
      if (form.confirm !== action) {
        return refusalPage(c, {
          status: 400,
          title: "Nothing was decided",
          message:
            "Decisions are made with the button on the confirmation page. Open the link from the email again.",
        });
      }
      const tokenHash = hashToken(token);
      const rawReason = typeof form.reason === "string" ? form.reason : "";
      const reasonCheck = checkReason(action, rawReason);
      if (!reasonCheck.valid) {
        const judgement = judgeDecision(await deps.store.get(claims.requestId), claims, tokenHash, now);
        if (!judgement.decidable) return refusalPage(c, judgement.refusal);
        return page(
          c,
          confirmationPage({
            action,
            token,
            requestId: claims.requestId,
            request: judgement.approval?.request,
            approver: claims.approver,
            expiresAt: judgement.approval?.expiresAt ?? claims.expiresAt.toISOString(),
            reason: rawReason,
            reasonError: reasonCheck.error,
            extension: judgement.approval?.extension,
            lease: judgement.approval?.lease,
          }),
          400,
        );
      }

      // A link of someone no longer among its stage's approvers decides nothing (checked again when counted).
      const removed = await refusalUnlessStillApprover(
        deps.directory,
        await deps.store.get(claims.requestId),
        claims.approver,
      );
      if (removed) return refusalPage(c, removed);
      const result = await decide(deps, { claims, tokenHash, reason: reasonCheck.reason, now });
      if (!result.recorded) return refusalPage(c, result.refusal);
      deps.logger.info(
        "approval" in result ? "Vote recorded" : "Decision recorded before ApprovalRequested arrived",
        { requestId: claims.requestId, action, approver: claims.approver },
      );
      if ("approval" in result) {
        await publishOrLeaveToSweeper(deps.publishOwed, result.approval, result.keys, deps.logger);
        if (result.approval.status === "PENDING") {
          return page(
            c,
            messagePage({
              badge: { text: "Approval counted", tone: "ok" },
              title: `Your approval of ${result.approval.extension ? "the extension of " : ""}request ${claims.requestId} is counted`,
              message: `Thank you, your approval is counted. ${waitingForOf(result.approval)}`,
              request: result.approval.request,
            }),
          );
        }
      }
      const extension = "approval" in result ? result.approval.extension : undefined;
      const done = (extension ? EXTENSION_DONE : ACTION_DONE)[action];
      return page(
        c,
        messagePage({
          badge: { text: done.badge, tone: done.tone },
          title: `${extension ? `Extension of request` : "Request"} ${claims.requestId} ${done.badge.toLowerCase()}`,
          message: `Thank you. ${done.next}`,
          request: "approval" in result ? result.approval.request : undefined,
        }),
      );
    });
  }

  app.onError((error, c) => {
    if (error instanceof HTTPException && error.status === 403) {
      return page(
        c,
        messagePage({
          title: "This form did not come from the approvals site",
          message: "Nothing was decided. Open the link from the approval email and press the button there.",
        }),
        403,
      );
    }
    deps.logger.error("Unhandled error on a decision page", { error });
    return page(
      c,
      messagePage({ title: "Something went wrong", message: "Please try again in a minute." }),
      500,
    );
  });

  return app;
};

const logger = new Logger({ serviceName: "decision" });
const store = createApprovalStore(approvalsTableName);
const now = () => new Date();
const publishOwed = createOutboxPublisher({ publisher, schedules, store, now });

const pagesApp = createDecisionApp({
  store,
  publishOwed,
  hmacKey,
  now,
  publicUrl: config.PUBLIC_URL,
  directory,
  delegations: delegationsCopy,
  decisionsRequireSignIn: config.DECISIONS_REQUIRE_SIGN_IN,
  logger,
});
const apiApp = createDecisionApi({
  store,
  publishOwed,
  hmacKey,
  now,
  directory,
  delegations: delegationsCopy,
  verifyAccessToken: accessTokenVerifier,
  logger,
});

const slackApp = createSlackInteractions({
  store,
  publishOwed,
  now,
  directory,
  delegations: delegationsCopy,
  chatSettings: createChatSettingsProvider(),
  slackApiOf,
  logger,
});

/** The pages, the API and Slack's interactions, each keeping its own error answers (pages for people, JSON otherwise). */
export const app = new Hono().route("/", pagesApp).route("/", apiApp).route("/", slackApp);
app.notFound(answerUnrouted([app]));
