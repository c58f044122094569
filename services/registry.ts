import { service as approvalMail } from "./approval-mail/service.ts";
import { service as audit } from "./audit/service.ts";
import { service as chat } from "./chat/service.ts";
import { service as decision } from "./decision/service.ts";
import { service as delegation } from "./delegation/service.ts";
import { service as ec2Launcher } from "./ec2-launcher/service.ts";
import { service as intake } from "./intake/service.ts";
import { service as lease } from "./lease/service.ts";
import { service as notifier } from "./notifier/service.ts";
import { service as rdsLauncher } from "./rds-launcher/service.ts";
import { service as s3Launcher } from "./s3-launcher/service.ts";
import type { ServiceManifest } from "./shared/manifest.ts";

/** Every service, in flow order: the CDK app and the local runtime both build from this list alone. */
export const services: readonly ServiceManifest[] = [
  intake,
  approvalMail,
  delegation,
  decision,
  ec2Launcher,
  rdsLauncher,
  s3Launcher,
  lease,
  notifier,
  chat,
  audit,
];
