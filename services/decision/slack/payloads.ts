import { z } from "zod";
import { fieldErrorsOf } from "../../../events/validation.ts";
import { ClientError } from "../../shared/errors.ts";
import { REJECT_MODAL, SLACK_ACTION_IDS } from "../../shared/slack-approval-actions.ts";

/**
 * What Slack posts to the app's interactivity URL (https://docs.slack.dev/reference/interaction-payloads):
 * a form with one field, `payload`, holding JSON. Only the parts decision reads are parsed; Slack
 * sends many more fields, and they are ignored.
 */

/** Where Slack's interactivity request URL points: `<PUBLIC_URL>/slack/interactions`. */
export const SLACK_INTERACTIONS_PATH = "/slack/interactions";

const id = z.string().min(1, "must not be empty");

const blockActionsSchema = z.object({
  type: z.literal("block_actions"),
  user: z.object({ id }),
  trigger_id: id,
  // A message's buttons name its channel in both places; either is enough to answer ephemerally there.
  channel: z.object({ id }).optional(),
  container: z.object({ channel_id: id.optional() }).optional(),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().optional() })).min(1),
});

const viewSubmissionSchema = z.object({
  type: z.literal("view_submission"),
  user: z.object({ id }),
  view: z.object({
    callback_id: z.string(),
    private_metadata: z.string().default(""),
    state: z.object({
      // Each input block's elements by action id; an input left empty has a null value.
      values: z.record(z.string(), z.record(z.string(), z.object({ value: z.string().nullish() }))),
    }),
  }),
});

/** An interaction decision acts on, in its own words. */
export type Interaction =
  /** An Approve or Reject button of an approval message was pressed. */
  | {
      kind: "button";
      action: "approve" | "reject";
      userId: string;
      triggerId: string;
      channelId: string;
      /** The button's value: the approval it was posted for (slack-approval-actions.ts), not yet decoded. */
      value: string;
    }
  /** The modal Reject opened was submitted with a reason. */
  | { kind: "rejection"; userId: string; metadata: string; reason: string }
  /** Anything else Slack tells the app of (another button, a modal closed): answered 200, nothing done. */
  | { kind: "ignored" };

const IGNORED: Interaction = { kind: "ignored" };

const ACTIONS_BY_ID = new Map<string, "approve" | "reject">(
  Object.entries(SLACK_ACTION_IDS).map(([action, actionId]) => [
    actionId,
    action as keyof typeof SLACK_ACTION_IDS,
  ]),
);

/** 400 naming `payload` (and the field within it), as every other refusal of input names its field. */
const invalidPayload = (fieldErrors: { field: string; message: string }[], cause?: unknown) =>
  new ClientError(
    400,
    `Request is invalid: ${fieldErrors.map(({ field, message }) => `${field} ${message}`).join("; ")}`,
    fieldErrors,
    { cause },
  );

const parsed = <T>(schema: z.ZodType<T>, json: unknown): T => {
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  throw invalidPayload(
    fieldErrorsOf(result.error).map(({ field, message }) => ({
      field: field ? `payload.${field}` : "payload",
      message,
    })),
    result.error,
  );
};

/**
 * The interaction a verified request body carries, or a 400 ClientError naming `payload` when the body
 * is not Slack's form of a JSON object, or is a kind decision acts on without the fields it reads.
 */
export const interactionOf = (rawBody: string): Interaction => {
  const text = new URLSearchParams(rawBody).get("payload");
  if (text === null) throw invalidPayload([{ field: "payload", message: "is missing" }]);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw invalidPayload([{ field: "payload", message: "is not valid JSON" }], cause);
  }
  const { type } = parsed(z.object({ type: z.string() }, { error: "must be a JSON object" }), json);
  if (type === "block_actions") {
    const payload = parsed(blockActionsSchema, json);
    const [pressed] = payload.actions;
    const action = pressed && ACTIONS_BY_ID.get(pressed.action_id);
    // Another app's or a link's button, wherever it was (a modal's has no channel), is none of ours.
    if (!action) return IGNORED;
    const channelId = payload.channel?.id ?? payload.container?.channel_id;
    if (channelId === undefined) {
      throw invalidPayload([
        { field: "payload.channel", message: "is missing: a button is pressed in a channel" },
      ]);
    }
    return {
      kind: "button",
      action,
      userId: payload.user.id,
      triggerId: payload.trigger_id,
      channelId,
      value: pressed.value ?? "",
    };
  }
  if (type === "view_submission") {
    const { user, view } = parsed(viewSubmissionSchema, json);
    if (view.callback_id !== REJECT_MODAL.callbackId) return IGNORED;
    return {
      kind: "rejection",
      userId: user.id,
      metadata: view.private_metadata,
      reason: view.state.values[REJECT_MODAL.reasonBlockId]?.[REJECT_MODAL.reasonActionId]?.value ?? "",
    };
  }
  return IGNORED;
};
