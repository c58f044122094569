import { CfnOutput, type Stack } from "aws-cdk-lib";
import type { IEventBus } from "aws-cdk-lib/aws-events";
import { Grant, type IGrantable } from "aws-cdk-lib/aws-iam";
import {
  ConfigurationSet,
  DkimIdentity,
  EasyDkimSigningKeyLength,
  EmailIdentity,
  EmailSendingEvent,
  EventDestination,
  Identity,
  SuppressionReasons,
} from "aws-cdk-lib/aws-ses";

export interface SesSendingProps {
  /** The address every email comes from (context `sender`). */
  sender: string;
  /** Its domain as the identity, signed with Easy DKIM (context `senderDomain`); else the address alone. */
  senderDomain?: string;
  /** The account's default bus: SES's only EventBridge destination. */
  defaultBus: IEventBus;
}

/** What the functions that send email are given (services/shared/mail.ts reads SES_CONFIGURATION_SET). */
export interface SesSending {
  identity: EmailIdentity;
  configurationSet: ConfigurationSet;
  grantSendEmail(grantee: IGrantable): void;
}

/**
 * SES as the stack sends with it: the sender's identity, and a configuration set every email names, whose
 * event destination puts SES's reports of bounces and complaints on the default bus (the notifier's
 * on-ses-feedback suppresses those addresses). Made on the stack itself, not in a construct of its own:
 * the address identity keeps the logical id ("Sender") it had before, so a deployed one is not replaced
 * and verified again. Three resources, whatever the number of functions.
 */
export const sesSendingOf = (
  stack: Stack,
  { sender, senderDomain, defaultBus }: SesSendingProps,
): SesSending => {
  const identity = senderDomain
    ? new EmailIdentity(stack, "SenderDomain", {
        identity: Identity.domain(senderDomain),
        dkimSigning: true,
        dkimIdentity: DkimIdentity.easyDkim(EasyDkimSigningKeyLength.RSA_2048_BIT),
      })
    : new EmailIdentity(stack, "Sender", { identity: Identity.email(sender) });
  if (senderDomain) {
    // The three CNAMEs that verify the domain and publish its DKIM keys: docs/DEPLOYMENT.md, section "SES".
    new CfnOutput(stack, "SenderDomainDkimRecords", {
      description: `The DKIM CNAME records to add to ${senderDomain}'s DNS (name=value)`,
      value: identity.dkimRecords.map(({ name, value }) => `${name}=${value}`).join(" "),
    });
  }

  const configurationSet = new ConfigurationSet(stack, "MailConfigurationSet", {
    configurationSetName: `${stack.stackName}-mail`,
    reputationMetrics: true,
    // SES's own account-level list as well: it drops what the notifier's table would not cover (approval-mail's emails).
    suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
  });
  // Only what a consumer acts on: deliveries would cost a rule invocation per email for nobody.
  configurationSet.addEventDestination("Feedback", {
    destination: EventDestination.eventBus(defaultBus),
    events: [EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT],
  });

  const configurationSetArn = stack.formatArn({
    service: "ses",
    resource: "configuration-set",
    resourceName: configurationSet.configurationSetName,
  });
  return {
    identity,
    configurationSet,
    // SES authorizes a send naming a configuration set against the set as well as the identity.
    grantSendEmail: (grantee) => {
      identity.grantSendEmail(grantee);
      Grant.addToPrincipal({ grantee, actions: ["ses:SendEmail"], resourceArns: [configurationSetArn] });
    },
  };
};
