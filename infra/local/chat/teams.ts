import { z } from "zod";

/**
 * What a Teams workflow's "When a Teams webhook request is received" trigger accepts to post a card:
 * a message whose attachments are Adaptive Cards. Anything else is refused, so a service that sends
 * another shape fails here as it would against Teams.
 */
export const ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive";

export const teamsMessageSchema = z.object({
  type: z.literal("message", { error: 'type must be "message"' }),
  attachments: z
    .array(
      z.object({
        contentType: z.literal(ADAPTIVE_CARD, { error: `contentType must be "${ADAPTIVE_CARD}"` }),
        content: z.looseObject({
          type: z.literal("AdaptiveCard", { error: 'content.type must be "AdaptiveCard"' }),
          version: z.string({ error: "content.version must be a version such as 1.4" }),
          body: z.array(z.looseObject({ type: z.string() }), {
            error: "content.body must be a list of elements",
          }),
          actions: z.array(z.looseObject({ type: z.string() })).optional(),
        }),
      }),
      { error: "attachments must be a list" },
    )
    .min(1, "attachments must hold at least one card"),
});

export type TeamsMessage = z.output<typeof teamsMessageSchema>;

/** The card's message, or why it is refused (the first problem, with where it is). */
export const readTeamsMessage = (text: string): { message: TeamsMessage } | { problem: string } => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { problem: "The body is not JSON" };
  }
  const parsed = teamsMessageSchema.safeParse(json);
  if (parsed.success) return { message: parsed.data };
  const issue = parsed.error.issues[0];
  return { problem: `${issue?.path.join(".") || "body"}: ${issue?.message}` };
};
