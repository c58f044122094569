import { ApiError } from "../../../api/client.ts";
import { estimateRoute, regionsRoute, submitRequestRoute } from "../../../api/contract.ts";
import { ENCRYPTION_WORDS } from "../../../api/request-words.ts";
import type { EstimateAnswer } from "../../../api/schemas.ts";
import {
  RDS_BACKUP_RETENTION_DAYS,
  RDS_ENGINE_VERSIONS,
  RDS_ENGINES,
  RDS_INSTANCE_CLASSES,
  RDS_STORAGE_GIB,
  RDS_STORAGE_TYPES,
  type RdsEngine,
} from "../../../events/rds-resource.ts";
import {
  INSTANCE_TYPES,
  JUSTIFICATION_MAX_LENGTH,
  OPERATING_SYSTEMS,
  type ResourceType,
  VOLUME_SIZE_GIB,
  VOLUME_TYPES,
} from "../../../events/request.ts";
import { ResourceRequested } from "../../../events/resource-requested.ts";
import { S3_ENCRYPTIONS, S3_EXPIRATION_DAYS } from "../../../events/s3-resource.ts";
import { admits, api, type ShownRequest } from "../api.ts";
import { h } from "../dom.ts";
import { estimateView, latestAnswers } from "../estimate.ts";
import { type Field, type FieldControl, labelledField } from "../field.ts";
import {
  CUSTOM_LEASE,
  DEFAULT_FORM_VALUES,
  detailFromForm,
  durationError,
  type EstimateQuestion,
  estimateQuestionOf,
  type FormErrors,
  type FormInput,
  formErrorsFrom,
  inputsOf,
  LEASE_CHOICES,
  leaseInputOf,
  type RequestFormValues,
  resourceTypeOf,
  validateForm,
} from "../request-form.ts";
import type { SignedInUser } from "../sign-in.ts";
import { requestPagePath } from "./request.ts";

interface RequestField {
  key: FormInput;
  label: string;
  optional?: boolean;
  hint?: string;
  control: (id: string, value: string) => FieldControl;
}

/** An option's value and, when people would read it otherwise, its text. */
type Option = string | readonly [value: string, text: string];

const input =
  (type: string, extra: Record<string, string | number> = {}) =>
  (id: string, value: string) =>
    h("input", { id, name: id, type, value, ...extra });

const optionsOf = (options: readonly Option[], selected: string) =>
  options.map((option) => {
    const [value, text] = typeof option === "string" ? [option, option] : option;
    return h("option", { value, selected: value === selected }, text);
  });

const select = (options: readonly Option[]) => (id: string, value: string) =>
  h("select", { id, name: id }, ...optionsOf(options, value));

const checkbox = (id: string, value: string) =>
  h("input", { id, name: id, type: "checkbox", checked: value === "true" });

const wholeNumber = (min: number, max: number) =>
  input("number", { min, max, step: 1, inputmode: "numeric" });

const RESOURCE_TYPE_OPTIONS: readonly (readonly [ResourceType, string])[] = [
  ["ec2", "EC2 instance"],
  ["rds", "RDS database"],
  ["s3", "S3 bucket"],
];

/** Without a version RDS creates the engine's current default, so that is the first choice. */
const engineVersionOptions = (engine: string): Option[] => [
  ["", "RDS's current default"],
  ...(RDS_ENGINE_VERSIONS[engine as RdsEngine] ?? []),
];

const ENCRYPTION_OPTIONS: readonly Option[] = S3_ENCRYPTIONS.map((encryption) => [
  encryption,
  ENCRYPTION_WORDS[encryption],
]);

/** Until the API names the allowed regions, the only choice is the deployment's default. */
const DEFAULT_REGION_OPTION: Option = ["", "The default region"];

const FIELDS: RequestField[] = [
  { key: "resourceType", label: "Resource type", control: select(RESOURCE_TYPE_OPTIONS) },
  {
    key: "region",
    label: "Region",
    hint: "Where the resource is created; prices differ by region.",
    control: select([DEFAULT_REGION_OPTION]),
  },
  { key: "instanceType", label: "Instance type", control: select(INSTANCE_TYPES) },
  { key: "os", label: "OS", control: select(OPERATING_SYSTEMS) },
  {
    key: "instanceName",
    label: "Instance name",
    optional: true,
    hint: "Becomes the instance's Name tag.",
    control: input("text"),
  },
  {
    key: "volumeSizeGiB",
    label: "Volume size (GiB)",
    hint: `${VOLUME_SIZE_GIB.min} to ${VOLUME_SIZE_GIB.max.toLocaleString("en")} GiB.`,
    control: wholeNumber(VOLUME_SIZE_GIB.min, VOLUME_SIZE_GIB.max),
  },
  { key: "volumeType", label: "Volume type", control: select(VOLUME_TYPES) },
  {
    key: "privateIp",
    label: "Private IP",
    optional: true,
    hint: "An IPv4 address in the subnet, e.g. 10.0.1.25.",
    control: input("text"),
  },
  {
    key: "subnetId",
    label: "Subnet",
    optional: true,
    hint: "e.g. subnet-0abc1234; the default subnet when empty.",
    control: input("text"),
  },
  { key: "engine", label: "Engine", control: select(RDS_ENGINES) },
  {
    key: "engineVersion",
    label: "Engine version",
    control: (id, value) => select(engineVersionOptions(DEFAULT_FORM_VALUES.engine))(id, value),
  },
  { key: "instanceClass", label: "DB instance class", control: select(RDS_INSTANCE_CLASSES) },
  {
    key: "allocatedStorageGiB",
    label: "Storage (GiB)",
    hint: `${RDS_STORAGE_GIB.min} to ${RDS_STORAGE_GIB.max.toLocaleString("en")} GiB.`,
    control: wholeNumber(RDS_STORAGE_GIB.min, RDS_STORAGE_GIB.max),
  },
  { key: "storageType", label: "Storage type", control: select(RDS_STORAGE_TYPES) },
  {
    key: "multiAz",
    label: "Multi-AZ",
    hint: "A standby in a second Availability Zone; it doubles the instance's price.",
    control: checkbox,
  },
  {
    key: "dbInstanceName",
    label: "DB instance name",
    hint: "A lowercase letter first, then lowercase letters, digits and single hyphens; the DB instance identifier adds 8 characters of the request id.",
    control: input("text"),
  },
  {
    key: "databaseName",
    label: "Database name",
    optional: true,
    hint: "A database to create in the instance: a letter, then letters, digits and underscores.",
    control: input("text"),
  },
  {
    key: "backupRetentionDays",
    label: "Backup retention (days)",
    hint: `${RDS_BACKUP_RETENTION_DAYS.min} (no automated backups) to ${RDS_BACKUP_RETENTION_DAYS.max} days.`,
    control: wholeNumber(RDS_BACKUP_RETENTION_DAYS.min, RDS_BACKUP_RETENTION_DAYS.max),
  },
  {
    key: "bucketName",
    label: "Bucket name",
    hint: "3 to 63 lowercase letters, digits, periods and hyphens, starting and ending with a letter or digit; unique across all of S3.",
    control: input("text", { autocapitalize: "none", spellcheck: "false" }),
  },
  { key: "versioning", label: "Versioning", hint: "Keeps every version of each object.", control: checkbox },
  { key: "encryption", label: "Encryption", control: select(ENCRYPTION_OPTIONS) },
  {
    key: "expireObjectsAfterDays",
    label: "Expire objects after (days)",
    optional: true,
    hint: `${S3_EXPIRATION_DAYS.min} to ${S3_EXPIRATION_DAYS.max.toLocaleString("en")} days; objects are kept until deleted when empty. Public access is always blocked, and only TLS is accepted.`,
    control: wholeNumber(S3_EXPIRATION_DAYS.min, S3_EXPIRATION_DAYS.max),
  },
  {
    key: "lease",
    label: "Lease",
    hint: "How long to keep it once it is ready; at the end it is released (an instance terminated, a database deleted after a final snapshot, an empty bucket deleted). You can ask for more time before then.",
    control: select(LEASE_CHOICES),
  },
  {
    key: "customLease",
    label: "Custom lease",
    hint: "An ISO 8601 duration: PT8H for 8 hours, P14D for 14 days, P2W for 2 weeks.",
    control: input("text", { autocapitalize: "none", spellcheck: "false" }),
  },
  {
    key: "justification",
    label: "Justification",
    hint: `Why you need it; up to ${JUSTIFICATION_MAX_LENGTH.toLocaleString("en")} characters.`,
    // No maxlength: it would cut a long paste silently; the inline error says what is too long.
    control: (id, value) => h("textarea", { id, name: id }, value),
  },
];

/** Shown whatever the type: the type itself (inputsOf names the rest). */
const ALWAYS_SHOWN: readonly FormInput[] = ["resourceType"];

/** Inputs every type has, each in its own place in the form rather than among the type's. */
const COMMON_PLACES: ReadonlySet<FormInput> = new Set(["region", "lease", "justification"]);

const TITLES: Record<ResourceType, string> = {
  ec2: "Request an EC2 instance",
  rds: "Request an RDS database",
  s3: "Request an S3 bucket",
};

/** The answers stop changing for this long before the form asks for an estimate. */
const ESTIMATE_DELAY_MS = 300;

const controlValue = (control: FieldControl) =>
  control instanceof HTMLInputElement && control.type === "checkbox"
    ? String(control.checked)
    : control.value;

/**
 * The live estimate: what the resource would cost as the form stands, asked of the API as the form
 * changes; its answers are announced politely, and a slow one never replaces a newer one.
 */
const estimatePanel = () => {
  const body = h("div", { "aria-live": "polite", id: "estimate" });
  const element = h(
    "section",
    { class: "estimate-panel", "aria-labelledby": "estimate-title" },
    h("h2", { id: "estimate-title" }, "Estimated cost"),
    body,
  );
  const say = (text: string) => body.replaceChildren(h("p", { class: "muted" }, text));
  const ask = latestAnswers<EstimateQuestion, EstimateAnswer>({
    delayMs: ESTIMATE_DELAY_MS,
    ask: (question) => api.call(estimateRoute, { body: question }),
    show: (answer) => {
      body.removeAttribute("aria-busy");
      if (answer.ok)
        body.replaceChildren(estimateView(answer.value.estimatedMonthlyCostUsd, answer.value.costEstimate));
      else
        say(
          `No estimate: ${answer.error instanceof Error ? answer.error.message : "the API did not answer"}`,
        );
    },
  });
  let asked: string | undefined;
  const update = (question: EstimateQuestion | undefined) => {
    const key = question && JSON.stringify(question);
    if (key !== undefined && key === asked) return;
    asked = key;
    ask(question);
    if (question) body.setAttribute("aria-busy", "true");
    else {
      body.removeAttribute("aria-busy");
      say("Complete the resource's fields to see what it would cost a month.");
    }
  };
  return { element, update };
};

/**
 * The new-request form of the signed-in requester: the fields of the resource type chosen, a region
 * among those allowed and a live estimate; inline errors from the shared schema, then the request's
 * page on success.
 */
export const renderNewRequest = (
  main: HTMLElement,
  requester: SignedInUser,
  navigate: (path: string, state: { submitted: ShownRequest }) => void,
) => {
  const values: RequestFormValues = { ...DEFAULT_FORM_VALUES };
  const fields = new Map<FormInput, Field>(
    FIELDS.map((field) => [
      field.key,
      labelledField({
        id: field.key,
        label: field.label,
        control: field.control(field.key, values[field.key]),
        hint: field.hint,
        optional: field.optional,
        // A checkbox is a yes or a no, never missing.
        required: !field.optional && field.control !== checkbox,
      }),
    ]),
  );
  const fieldOf = (key: FormInput) => fields.get(key) as Field;
  const title = h("h1", { id: "new-request-title" }, TITLES.ec2);
  // Only the chosen type's fields are in the form; the others keep their values for when it is chosen again.
  const typeFields = h("div", {});
  const formError = h("p", { class: "error", role: "alert", id: "form-error" });
  const button = h("button", { type: "submit" }, "Submit request");
  // Intake answers requesters alone; anyone else would only meet refusals, as their submission would.
  const estimate = admits(estimateRoute, requester) ? estimatePanel() : undefined;

  const shown = () => [...ALWAYS_SHOWN, ...inputsOf(resourceTypeOf(values)), leaseInputOf(values)];

  // The custom lease's field is in the form only while chosen, right under the choice.
  const leaseFields = h("div", {});
  const showLease = () => {
    const custom = values.lease === CUSTOM_LEASE;
    leaseFields.replaceChildren(
      fieldOf("lease").element,
      ...(custom ? [fieldOf("customLease").element] : []),
    );
    if (!custom) fieldOf("customLease").showError(undefined);
  };

  const showErrors = (errors: FormErrors) => {
    for (const [key, field] of fields) field.showError(errors[key]);
    formError.textContent = errors.form ?? "";
    const firstInvalid = shown().find((key) => errors[key]);
    if (firstInvalid) fieldOf(firstInvalid).control.focus();
  };

  const read = () => {
    for (const [key, field] of fields) values[key] = controlValue(field.control);
  };

  const showType = () => {
    const type = resourceTypeOf(values);
    title.textContent = TITLES[type];
    typeFields.replaceChildren(
      ...inputsOf(type)
        .filter((key) => !COMMON_PLACES.has(key))
        .map((key) => fieldOf(key).element),
    );
    showErrors({});
  };

  const changed = (event: Event) => {
    read();
    if (event.target === fieldOf("resourceType").control) showType();
    if (event.target === fieldOf("lease").control) {
      showLease();
      if (values.lease === CUSTOM_LEASE) fieldOf("customLease").control.focus();
    }
    // A duration typed in is checked once it is entered, with the contract's words. A fixed one's
    // error line keeps its space until the next submit: this change fires as a click on Submit takes
    // the focus, and the button must not move before the click ends.
    if (event.type === "change" && event.target === fieldOf("customLease").control)
      fieldOf("customLease").showError(durationError(values.customLease), { keepSpace: true });
    if (event.target === fieldOf("engine").control) {
      // Versions are per engine: a version of the other one is no choice at all.
      fieldOf("engineVersion").control.replaceChildren(...optionsOf(engineVersionOptions(values.engine), ""));
      read();
    }
    estimate?.update(estimateQuestionOf(values));
  };

  const showRegions = async () => {
    try {
      const regions = await api.call(regionsRoute, {});
      const control = fieldOf("region").control;
      control.replaceChildren(...optionsOf(regions.allowed, regions.default));
      read();
      estimate?.update(estimateQuestionOf(values));
    } catch {
      // The request still goes to the default region: the one choice the select already offers.
    }
  };

  const form = h(
    "form",
    {
      novalidate: true,
      "aria-labelledby": "new-request-title",
      oninput: changed,
      onchange: changed,
      onsubmit: async (event: Event) => {
        event.preventDefault();
        read();
        const errors = validateForm(values, requester);
        showErrors(errors);
        if (Object.keys(errors).length > 0) return;
        button.disabled = true;
        button.textContent = "Submitting…";
        try {
          // The detail as the API reads it (validateForm passed it): sent, then shown until the audit
          // trail has it.
          const detail = ResourceRequested.schema.parse(detailFromForm(values, requester));
          const accepted = await api.call(submitRequestRoute, { body: detail });
          // The lease asked for is not yet the lease its policy settles, which the page shows once audited.
          const { lease: _asked, ...shown } = detail;
          navigate(requestPagePath(accepted.requestId), { submitted: { ...shown, ...accepted } });
        } catch (error) {
          if (error instanceof ApiError && error.fieldErrors.length > 0)
            showErrors(formErrorsFrom(values, error.fieldErrors));
          else showErrors({ form: error instanceof Error ? error.message : "The request could not be sent" });
        } finally {
          button.disabled = false;
          button.textContent = "Submit request";
        }
      },
    },
    fieldOf("resourceType").element,
    fieldOf("region").element,
    typeFields,
    leaseFields,
    fieldOf("justification").element,
    // Beside the button, so what the request would cost is in view when it is sent.
    ...(estimate ? [estimate.element] : []),
    formError,
    h("p", {}, button),
  );

  main.replaceChildren(
    title,
    h("p", { class: "muted" }, "An approver decides from an email; you can follow the request on its page."),
    h(
      "p",
      {},
      "Requesting as ",
      h("strong", {}, requester.name),
      " ",
      h("span", { class: "muted" }, requester.email),
    ),
    h("div", { class: "card" }, form),
  );
  showType();
  showLease();
  estimate?.update(estimateQuestionOf(values));
  if (admits(regionsRoute, requester)) void showRegions();
};
