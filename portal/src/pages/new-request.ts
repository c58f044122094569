import { ApiError } from "../../../api/client.ts";
import { submitRequestRoute } from "../../../api/contract.ts";
import {
  INSTANCE_TYPES,
  JUSTIFICATION_MAX_LENGTH,
  OPERATING_SYSTEMS,
  VOLUME_SIZE_GIB,
  VOLUME_TYPES,
} from "../../../events/request.ts";
import { ResourceRequested } from "../../../events/resource-requested.ts";
import { api, type ShownRequest } from "../api.ts";
import { h } from "../dom.ts";
import { type Field, type FieldControl, labelledField } from "../field.ts";
import {
  DEFAULT_FORM_VALUES,
  detailFromForm,
  type FormErrors,
  formErrorsFrom,
  type RequestFormValues,
  validateForm,
} from "../request-form.ts";
import type { SignedInUser } from "../sign-in.ts";
import { requestPagePath } from "./request.ts";

interface RequestField {
  key: keyof RequestFormValues;
  label: string;
  optional?: boolean;
  hint?: string;
  control: (id: string, value: string) => FieldControl;
}

const input =
  (type: string, extra: Record<string, string | number> = {}) =>
  (id: string, value: string) =>
    h("input", { id, name: id, type, value, ...extra });

const select = (options: readonly string[]) => (id: string, value: string) =>
  h(
    "select",
    { id, name: id },
    ...options.map((option) => h("option", { value: option, selected: option === value }, option)),
  );

const FIELDS: RequestField[] = [
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
    control: input("number", {
      min: VOLUME_SIZE_GIB.min,
      max: VOLUME_SIZE_GIB.max,
      step: 1,
      inputmode: "numeric",
    }),
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
  {
    key: "justification",
    label: "Justification",
    hint: `Why you need it; up to ${JUSTIFICATION_MAX_LENGTH.toLocaleString("en")} characters.`,
    // No maxlength: it would cut a long paste silently; the inline error says what is too long.
    control: (id, value) => h("textarea", { id, name: id }, value),
  },
];

/**
 * The new-request form of the signed-in requester: inline errors from the shared schema, then the
 * request's page on success.
 */
export const renderNewRequest = (
  main: HTMLElement,
  requester: SignedInUser,
  navigate: (path: string, state: { submitted: ShownRequest }) => void,
) => {
  const values: RequestFormValues = { ...DEFAULT_FORM_VALUES };
  const fields = new Map<keyof RequestFormValues, Field>(
    FIELDS.map((field) => [
      field.key,
      labelledField({
        id: field.key,
        label: field.label,
        control: field.control(field.key, values[field.key]),
        hint: field.hint,
        optional: field.optional,
        required: !field.optional,
      }),
    ]),
  );
  const formError = h("p", { class: "error", role: "alert", id: "form-error" });
  const button = h("button", { type: "submit" }, "Submit request");

  const showErrors = (errors: FormErrors) => {
    for (const [key, field] of fields) field.showError(errors[key]);
    formError.textContent = errors.form ?? "";
    const firstInvalid = [...fields.entries()].find(([key]) => errors[key]);
    firstInvalid?.[1].control.focus();
  };

  const read = () => {
    for (const [key, field] of fields) values[key] = field.control.value;
  };

  const form = h(
    "form",
    {
      novalidate: true,
      "aria-labelledby": "new-request-title",
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
          navigate(requestPagePath(accepted.requestId), {
            submitted: { ...detail, ...accepted },
          });
        } catch (error) {
          if (error instanceof ApiError && error.fieldErrors.length > 0)
            showErrors(formErrorsFrom(error.fieldErrors));
          else showErrors({ form: error instanceof Error ? error.message : "The request could not be sent" });
        } finally {
          button.disabled = false;
          button.textContent = "Submit request";
        }
      },
    },
    ...[...fields.values()].map((field) => field.element),
    formError,
    h("p", {}, button),
  );

  main.replaceChildren(
    h("h1", { id: "new-request-title" }, "Request an EC2 instance"),
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
};
