import { randomUUID } from "node:crypto";
import type { EdgeRequest, EdgeResponse, ServiceHandler } from "../edge/types.ts";
import { xmlText } from "../xml.ts";
import type { LocalEc2 } from "./local-ec2.ts";
import {
  Ec2Error,
  type Filter,
  INSTANCE_STATE_CODES,
  type Instance,
  type InstanceStateName,
  type Reservation,
} from "./resources.ts";

const XML_NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/";

type XmlValue = string | number | boolean | undefined | XmlValue[] | XmlFields;
interface XmlFields {
  readonly [element: string]: XmlValue;
}

/** EC2's XML: a list is an element holding one `item` per entry; an absent value has no element. */
const toXml = (name: string, value: XmlValue): string => {
  if (value === undefined) return "";
  if (Array.isArray(value))
    return `<${name}>${value.map((entry) => toXml("item", entry)).join("")}</${name}>`;
  if (typeof value === "object") return `<${name}>${childrenXml(value)}</${name}>`;
  return `<${name}>${xmlText(String(value))}</${name}>`;
};

const childrenXml = (fields: XmlFields) =>
  Object.entries(fields)
    .map(([name, value]) => toXml(name, value))
    .join("");

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

const xmlAnswer = (status: number, requestId: string, body: string): EdgeResponse => ({
  status,
  headers: { "content-type": "text/xml;charset=UTF-8", "x-amzn-requestid": requestId },
  body: XML_DECLARATION + body,
});

const resultAnswer = (action: string, requestId: string, result: XmlFields) =>
  xmlAnswer(
    200,
    requestId,
    `<${action}Response xmlns="${XML_NAMESPACE}">${childrenXml({ requestId, ...result })}</${action}Response>`,
  );

/** EC2's error document; SDKs raise an exception named after `Code`. */
export const errorAnswer = (status: number, requestId: string, code: string, message: string) =>
  xmlAnswer(
    status,
    requestId,
    toXml("Response", { Errors: { Error: { Code: code, Message: message } }, RequestID: requestId }),
  );

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
const parameterTree = (parameters: Iterable<[string, string]>): ParameterNode => {
  const root = newParameterNode();
  for (const [name, value] of parameters) {
    const segments = name.split(".");
    // EC2's deepest parameters have fewer than ten segments; a name of thousands of dots would
    // otherwise grow a node per dot.
    if (segments.length > MAX_PARAMETER_SEGMENTS || segments.includes("")) {
      throw new Ec2Error("InvalidParameter", `The parameter name '${name.slice(0, 100)}' is not valid`);
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

/** The flattened parameters of an EC2 Query request (`Filter.1.Value.2=...`), seen from one prefix. */
class QueryParameters {
  constructor(
    private readonly node: ParameterNode,
    private readonly prefix = "",
  ) {}

  string(name: string): string | undefined {
    return this.node.children.get(name)?.value;
  }

  required(name: string): string {
    const value = this.string(name);
    if (value === undefined) {
      throw new Ec2Error("MissingParameter", `The request must contain the parameter ${this.prefix}${name}`);
    }
    return value;
  }

  integer(name: string): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (!/^-?\d+$/.test(value))
      throw new Ec2Error("InvalidParameterValue", `Invalid value '${value}' for ${this.prefix}${name}`);
    return Number(value);
  }

  requiredInteger(name: string): number {
    this.required(name);
    return this.integer(name) as number;
  }

  /** A nested structure (`Name.*`), if the request holds any of its members. */
  structure(name: string): QueryParameters | undefined {
    const child = this.node.children.get(name);
    return child && child.children.size > 0
      ? new QueryParameters(child, `${this.prefix}${name}.`)
      : undefined;
  }

  /** The members of a list of structures, in index order: `Name.1.*`, `Name.2.*`, ... */
  members(name: string): QueryParameters[] {
    return this.listEntries(name)
      .filter(([, member]) => member.children.size > 0)
      .map(([index, member]) => new QueryParameters(member, `${this.prefix}${name}.${index}.`));
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

const filtersOf = (parameters: QueryParameters): Filter[] =>
  parameters
    .members("Filter")
    .map((filter) => ({ name: filter.required("Name"), values: filter.strings("Value") }));

const stateXml = (state: InstanceStateName): XmlFields => ({
  code: INSTANCE_STATE_CODES[state],
  name: state,
});

const tagSetXml = (tags: Instance["tags"]) => tags.map(({ key, value }) => ({ key, value }));

const instanceXml = (instance: Instance): XmlFields => ({
  instanceId: instance.instanceId,
  imageId: instance.imageId,
  instanceState: stateXml(instance.state),
  privateDnsName: `ip-${instance.privateIpAddress.replaceAll(".", "-")}.ec2.internal`,
  reason: instance.stateTransitionReason,
  amiLaunchIndex: 0,
  instanceType: instance.instanceType,
  launchTime: instance.launchTime,
  subnetId: instance.subnetId,
  privateIpAddress: instance.privateIpAddress,
  stateReason: instance.stateReason,
  rootDeviceType: "ebs",
  rootDeviceName: instance.rootDeviceName,
  // AWS lists no devices for a terminated instance: its volumes were deleted with it.
  blockDeviceMapping:
    instance.state === "terminated"
      ? []
      : instance.volumes.map((volume) => ({
          deviceName: volume.deviceName,
          ebs: {
            volumeId: volume.volumeId,
            status: "attached",
            attachTime: instance.launchTime,
            deleteOnTermination: true,
          },
        })),
  clientToken: instance.clientToken,
  tagSet: tagSetXml(instance.tags),
});

const reservationXml = (reservation: Reservation): XmlFields => ({
  reservationId: reservation.reservationId,
  ownerId: reservation.ownerId,
  instancesSet: reservation.instances.map(instanceXml),
});

type Action = (ec2: LocalEc2, parameters: QueryParameters) => Promise<XmlFields>;

const ACTIONS = new Map<string, Action>(
  Object.entries({
    RunInstances: async (ec2, parameters) =>
      reservationXml(
        await ec2.runInstances({
          imageId: parameters.required("ImageId"),
          instanceType: parameters.string("InstanceType"),
          minCount: parameters.requiredInteger("MinCount"),
          maxCount: parameters.requiredInteger("MaxCount"),
          subnetId: parameters.string("SubnetId"),
          privateIpAddress: parameters.string("PrivateIpAddress"),
          clientToken: parameters.string("ClientToken"),
          blockDeviceMappings: parameters.members("BlockDeviceMapping").map((mapping) => {
            const ebs = mapping.structure("Ebs");
            return {
              deviceName: mapping.string("DeviceName"),
              ebs: ebs && {
                volumeSize: ebs.integer("VolumeSize"),
                volumeType: ebs.string("VolumeType"),
                iops: ebs.integer("Iops"),
              },
            };
          }),
          tagSpecifications: parameters.members("TagSpecification").map((specification) => ({
            resourceType: specification.string("ResourceType"),
            tags: specification
              .members("Tag")
              .map((tag) => ({ key: tag.string("Key"), value: tag.string("Value") })),
          })),
        }),
      ),

    DescribeInstances: async (ec2, parameters) => ({
      reservationSet: ec2
        .describeInstances({ instanceIds: parameters.strings("InstanceId"), filters: filtersOf(parameters) })
        .map(reservationXml),
    }),

    TerminateInstances: async (ec2, parameters) => {
      const instanceIds = parameters.strings("InstanceId");
      if (instanceIds.length === 0)
        throw new Ec2Error("MissingParameter", "The request must contain the parameter InstanceId");
      const changes = await ec2.terminateInstances(instanceIds);
      return {
        instancesSet: changes.map((change) => ({
          instanceId: change.instanceId,
          currentState: stateXml(change.currentState),
          previousState: stateXml(change.previousState),
        })),
      };
    },

    DescribeVolumes: async (ec2, parameters) => ({
      volumeSet: ec2
        .describeVolumes({ volumeIds: parameters.strings("VolumeId"), filters: filtersOf(parameters) })
        .map((volume) => ({
          volumeId: volume.volumeId,
          size: volume.size,
          status: "in-use",
          createTime: volume.createTime,
          attachmentSet: [
            {
              volumeId: volume.volumeId,
              instanceId: volume.instanceId,
              device: volume.deviceName,
              status: "attached",
              attachTime: volume.createTime,
              deleteOnTermination: true,
            },
          ],
          volumeType: volume.volumeType,
          iops: volume.iops,
          encrypted: false,
          tagSet: tagSetXml(volume.tags),
        })),
    }),
  } satisfies Record<string, Action>),
);

/** The parameters of a Query request: the URL's, then the form-encoded body's (the SDKs POST them all in the body). */
const parametersOf = (request: EdgeRequest) =>
  new QueryParameters(
    parameterTree([...request.query, ...new URLSearchParams(request.body.toString("utf8"))]),
  );

/**
 * The EC2 Query API in front of the local EC2, answering as AWS does: XML in the 2016-11-15 namespace,
 * and errors as HTTP 400 with EC2's `<Response><Errors>` document, so SDKs raise the same exceptions.
 */
export const createEc2Api =
  (ec2: LocalEc2): ServiceHandler =>
  async (request) => {
    const requestId = randomUUID();
    try {
      const parameters = parametersOf(request);
      const actionName = parameters.string("Action");
      if (!actionName) {
        throw new Ec2Error("MissingAction", "The request must contain the parameter Action");
      }
      const action = ACTIONS.get(actionName);
      if (!action)
        throw new Ec2Error("InvalidAction", `The action ${actionName} is not valid for this web service.`);
      return resultAnswer(actionName, requestId, await action(ec2, parameters));
    } catch (error) {
      if (error instanceof Ec2Error) return errorAnswer(400, requestId, error.code, error.message);
      console.error("[ec2-api] request failed", error);
      return errorAnswer(500, requestId, "InternalError", "An internal error has occurred");
    }
  };
