import type { TableSpec } from "../infra/table-spec.ts";
import * as approvalMail from "./approval-mail/subscriptions.ts";
import * as audit from "./audit/subscriptions.ts";
import { tables as auditTables } from "./audit/tables.ts";
import * as decision from "./decision/subscriptions.ts";
import { tables as decisionTables } from "./decision/tables.ts";
import * as ec2Launcher from "./ec2-launcher/subscriptions.ts";
import { tables as ec2LauncherTables } from "./ec2-launcher/tables.ts";
import * as intake from "./intake/subscriptions.ts";
import { tables as intakeTables } from "./intake/tables.ts";
import * as notifier from "./notifier/subscriptions.ts";
import { tables as notifierTables } from "./notifier/tables.ts";
import type { HttpSurface, ServiceName, Subscription } from "./subscription.ts";

/** What a service declares about itself; the CDK app and the local runtime both build from this. */
export interface ServiceDeclaration {
  name: ServiceName;
  subscriptions: readonly Subscription[];
  /** The tables this service owns (creates and names); others may be granted access to them. */
  tables: readonly TableSpec[];
  httpSurface?: HttpSurface;
}

export const services: readonly ServiceDeclaration[] = [
  {
    name: "intake",
    subscriptions: intake.subscriptions,
    tables: intakeTables,
    httpSurface: intake.httpSurface,
  },
  { name: "approval-mail", subscriptions: approvalMail.subscriptions, tables: [] },
  {
    name: "decision",
    subscriptions: decision.subscriptions,
    tables: decisionTables,
    httpSurface: decision.httpSurface,
  },
  { name: "ec2-launcher", subscriptions: ec2Launcher.subscriptions, tables: ec2LauncherTables },
  { name: "notifier", subscriptions: notifier.subscriptions, tables: notifierTables },
  { name: "audit", subscriptions: audit.subscriptions, tables: auditTables, httpSurface: audit.httpSurface },
];
