const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (character) => ESCAPES[character] ?? character);

/** Markup that is already safe: produced by the `html` template, never from user input. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString() {
    return this.value;
  }
}

type Interpolation = SafeHtml | string | number | undefined | null | false | readonly Interpolation[];

const render = (value: Interpolation): string => {
  if (value === undefined || value === null || value === false) return "";
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
};

/**
 * Tagged template for HTML: every interpolated value is escaped unless it is itself the output of
 * `html`, so request text always shows as text, never as markup.
 */
export const html = (strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml =>
  new SafeHtml(
    strings.reduce(
      (out, literal, index) =>
        out + literal + (index < values.length ? render(values[index] as Interpolation) : ""),
      "",
    ),
  );
