import type { EdgeRequest, EdgeResponse } from "./edge/types.ts";
import { xmlText } from "./xml.ts";

/**
 * The AWS Query protocol both EC2 and RDS speak: flattened form parameters in, XML out. Each API raises
 * its own error class, so a parameter problem is answered in that API's error document.
 */
export type QueryErrorFactory = (code: string, message: string) => Error;

/** One dotted name of a Query request (`Filter.1.Value.2`), indexed by its segments. */
interface ParameterNode {
  value?: string;
  readonly children: Map<string, ParameterNode>;
}

const newParameterNode = (): ParameterNode => ({ children: new Map() });

const MAX_PARAMETER_SEGMENTS = 16;

/**
 * Indexes every parameter name by its dot-separated segments in one pass, so looking up a structure or
 * a list costs the size of what it holds rather than a scan of the whole request.
 */
const parameterTree = (parameters: Iterable<[string, string]>, fail: QueryErrorFactory): ParameterNode => {
  const root = newParameterNode();
  for (const [name, value] of parameters) {
    const segments = name.split(".");
    // The deepest parameters of EC2 and RDS have fewer than ten segments; a name of thousands of dots
    // would otherwise grow a node per dot.
    if (segments.length > MAX_PARAMETER_SEGMENTS || segments.includes("")) {
      throw fail("InvalidParameter", `The parameter name '${name.slice(0, 100)}' is not valid`);
    }
    let node = root;
    for (const segment of segments) {
      let child = node.children.get(segment);
      if (!child) {
        child = newParameterNode();
        node.children.set(segment, child);
      }
      node = child;
    }
    node.value = value;
  }
  return root;
};

const LIST_INDEX = /^\d+$/;

/**
 * Orders list indexes by their numeric value without converting them, since `01` and
 * `99999999999999999999` are as valid in a request as `1`; equal values fall back to their text.
 */
const compareListIndexes = (left: string, right: string): number => {
  const leftDigits = left.replace(/^0+(?=\d)/, "");
  const rightDigits = right.replace(/^0+(?=\d)/, "");
  if (leftDigits.length !== rightDigits.length) return leftDigits.length - rightDigits.length;
  if (leftDigits !== rightDigits) return leftDigits < rightDigits ? -1 : 1;
  return left < right ? -1 : left > right ? 1 : 0;
};

/** The flattened parameters of a Query request (`Filter.1.Value.2=...`), seen from one prefix. */
export class QueryParameters {
  constructor(
    private readonly node: ParameterNode,
    private readonly fail: QueryErrorFactory,
    private readonly prefix = "",
  ) {}

  string(name: string): string | undefined {
    return this.node.children.get(name)?.value;
  }

  required(name: string): string {
    const value = this.string(name);
    if (value === undefined) {
      throw this.fail("MissingParameter", `The request must contain the parameter ${this.prefix}${name}`);
    }
    return value;
  }

  integer(name: string): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (!/^-?\d+$/.test(value))
      throw this.fail("InvalidParameterValue", `Invalid value '${value}' for ${this.prefix}${name}`);
    return Number(value);
  }

  requiredInteger(name: string): number {
    this.required(name);
    return this.integer(name) as number;
  }

  /** A boolean as the SDKs send it: `true` or `false`. */
  boolean(name: string): boolean | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (value !== "true" && value !== "false")
      throw this.fail("InvalidParameterValue", `Invalid value '${value}' for ${this.prefix}${name}`);
    return value === "true";
  }

  /** A nested structure (`Name.*`), if the request holds any of its members. */
  structure(name: string): QueryParameters | undefined {
    const child = this.node.children.get(name);
    return child && child.children.size > 0
      ? new QueryParameters(child, this.fail, `${this.prefix}${name}.`)
      : undefined;
  }

  /** The members of a list of structures, in index order: `Name.1.*`, `Name.2.*`, ... */
  members(name: string): QueryParameters[] {
    return this.listEntries(name)
      .filter(([, member]) => member.children.size > 0)
      .map(([index, member]) => new QueryParameters(member, this.fail, `${this.prefix}${name}.${index}.`));
  }

  /** The values of a list of strings, in index order: `Name.1`, `Name.2`, ... */
  strings(name: string): string[] {
    return this.listEntries(name).flatMap(([, entry]) => (entry.value === undefined ? [] : [entry.value]));
  }

  private listEntries(name: string): [string, ParameterNode][] {
    const list = this.node.children.get(name);
    if (!list) return [];
    return [...list.children]
      .filter(([index]) => LIST_INDEX.test(index))
      .sort(([left], [right]) => compareListIndexes(left, right));
  }
}

/** The parameters of a Query request: the URL's, then the form-encoded body's (the SDKs POST them all in the body). */
export const queryParametersOf = (request: Pick<EdgeRequest, "query" | "body">, fail: QueryErrorFactory) =>
  new QueryParameters(
    parameterTree([...request.query, ...new URLSearchParams(request.body.toString("utf8"))], fail),
    fail,
  );

export type XmlValue = string | number | boolean | undefined | XmlValue[] | XmlFields;
export interface XmlFields {
  readonly [element: string]: XmlValue;
}

/**
 * An element of a Query API's answer. A list is an element holding one element per entry, named by
 * `memberOf(listName)`: EC2 calls every entry `item`, RDS names it after its type (`TagList` holds `Tag`s).
 * An absent value has no element.
 */
export const xmlElement = (name: string, value: XmlValue, memberOf: (listName: string) => string): string => {
  if (value === undefined) return "";
  if (Array.isArray(value)) {
    const member = memberOf(name);
    return `<${name}>${value.map((entry) => xmlElement(member, entry, memberOf)).join("")}</${name}>`;
  }
  if (typeof value === "object") return `<${name}>${xmlChildren(value, memberOf)}</${name}>`;
  return `<${name}>${xmlText(String(value))}</${name}>`;
};

export const xmlChildren = (fields: XmlFields, memberOf: (listName: string) => string) =>
  Object.entries(fields)
    .map(([name, value]) => xmlElement(name, value, memberOf))
    .join("");

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** A Query API's answer: `body` is its XML document, `requestId` the id the SDKs log with it. */
export const xmlAnswer = (status: number, requestId: string, body: string): EdgeResponse => ({
  status,
  headers: { "content-type": "text/xml;charset=UTF-8", "x-amzn-requestid": requestId },
  body: XML_DECLARATION + body,
});
