import { randomUUID } from "node:crypto";
import type { EdgeRequest, ServiceHandler } from "../edge/types.ts";
import {
  type QueryParameters,
  queryParametersOf,
  type XmlFields,
  type XmlValue,
  xmlAnswer,
  xmlChildren,
  xmlElement,
} from "../query-protocol.ts";
import type { LocalEc2 } from "./local-ec2.ts";
import {
  Ec2Error,
  type Filter,
  INSTANCE_STATE_CODES,
  type Instance,
  type InstanceStateChange,
  type InstanceStateName,
  type Reservation,
} from "./resources.ts";

const XML_NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/";

/** EC2's XML names every entry of a list `item`. */
const ITEM = () => "item";
const toXml = (name: string, value: XmlValue): string => xmlElement(name, value, ITEM);
const childrenXml = (fields: XmlFields) => xmlChildren(fields, ITEM);

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
  metadataOptions: {
    state: "applied",
    httpTokens: instance.metadataOptions.httpTokens,
    httpEndpoint: instance.metadataOptions.httpEndpoint,
  },
  clientToken: instance.clientToken,
  tagSet: tagSetXml(instance.tags),
});

const reservationXml = (reservation: Reservation): XmlFields => ({
  reservationId: reservation.reservationId,
  ownerId: reservation.ownerId,
  instancesSet: reservation.instances.map(instanceXml),
});

/** One action, in the region of the request's credential scope. */
type Action = (ec2: LocalEc2, parameters: QueryParameters, region: string) => Promise<XmlFields>;

/** Terminate, Stop and StartInstances: each takes instance ids and answers each one's state change. */
const stateChangingAction =
  (
    change: (ec2: LocalEc2, region: string, instanceIds: string[]) => Promise<InstanceStateChange[]>,
  ): Action =>
  async (ec2, parameters, region) => {
    const instanceIds = parameters.strings("InstanceId");
    if (instanceIds.length === 0)
      throw new Ec2Error("MissingParameter", "The request must contain the parameter InstanceId");
    const changes = await change(ec2, region, instanceIds);
    return {
      instancesSet: changes.map((stateChange) => ({
        instanceId: stateChange.instanceId,
        currentState: stateXml(stateChange.currentState),
        previousState: stateXml(stateChange.previousState),
      })),
    };
  };

const metadataOptionsOf = (options: QueryParameters | undefined) =>
  options && { httpTokens: options.string("HttpTokens"), httpEndpoint: options.string("HttpEndpoint") };

const ACTIONS = new Map<string, Action>(
  Object.entries({
    RunInstances: async (ec2, parameters, region) =>
      reservationXml(
        await ec2.runInstances(region, {
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
                encrypted: ebs.boolean("Encrypted"),
              },
            };
          }),
          metadataOptions: metadataOptionsOf(parameters.structure("MetadataOptions")),
          tagSpecifications: parameters.members("TagSpecification").map((specification) => ({
            resourceType: specification.string("ResourceType"),
            tags: specification
              .members("Tag")
              .map((tag) => ({ key: tag.string("Key"), value: tag.string("Value") })),
          })),
        }),
      ),

    DescribeInstances: async (ec2, parameters, region) => ({
      reservationSet: ec2
        .describeInstances(region, {
          instanceIds: parameters.strings("InstanceId"),
          filters: filtersOf(parameters),
        })
        .map(reservationXml),
    }),

    TerminateInstances: stateChangingAction((ec2, region, ids) => ec2.terminateInstances(region, ids)),
    StopInstances: stateChangingAction((ec2, region, ids) => ec2.stopInstances(region, ids)),
    StartInstances: stateChangingAction((ec2, region, ids) => ec2.startInstances(region, ids)),

    CreateTags: async (ec2, parameters, region) => {
      const resourceIds = parameters.strings("ResourceId");
      if (resourceIds.length === 0)
        throw new Ec2Error("MissingParameter", "The request must contain the parameter ResourceId");
      const tags = parameters
        .members("Tag")
        .map((tag) => ({ key: tag.required("Key"), value: tag.string("Value") ?? "" }));
      await ec2.createTags(region, resourceIds, tags);
      return { return: true };
    },

    DescribeVolumes: async (ec2, parameters, region) => ({
      volumeSet: ec2
        .describeVolumes(region, {
          volumeIds: parameters.strings("VolumeId"),
          filters: filtersOf(parameters),
        })
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
          encrypted: volume.encrypted,
          tagSet: tagSetXml(volume.tags),
        })),
    }),
  } satisfies Record<string, Action>),
);

const parametersOf = (request: EdgeRequest) =>
  queryParametersOf(request, (code, message) => new Ec2Error(code, message));

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
      return resultAnswer(actionName, requestId, await action(ec2, parameters, request.region));
    } catch (error) {
      if (error instanceof Ec2Error) return errorAnswer(400, requestId, error.code, error.message);
      console.error("[ec2-api] request failed", error);
      return errorAnswer(500, requestId, "InternalError", "An internal error has occurred");
    }
  };
