import { createHash } from "node:crypto";
import { DEFAULT_ROOT_DEVICE_NAME, Ec2Error, invalidValue } from "./resources.ts";

/** The images the local EC2 launches: AMI ids as given, or resolved from SSM parameters as RunInstances does. */

/**
 * Local-only test hook: an instance launched from this image dies before it runs (pending -> terminated),
 * the way a launch fails on AWS for lack of capacity or a broken volume, so launch failure paths can be
 * exercised end to end (point an `IMAGE_IDS` entry at it). No real AMI has this id.
 */
export const FAILING_IMAGE_ID = "ami-00000000000000bad";

/**
 * Public image parameters whose images boot from /dev/sda1 (Canonical's Ubuntu, Amazon's Windows).
 * Locally no AMI can be asked where its root volume is, so the publishers' convention stands in.
 */
const SDA1_IMAGE_PARAMETERS = /^\/aws\/service\/(?:canonical|ami-windows-latest)\//;

const IMAGE_ID = /^ami-[0-9a-f]{8}([0-9a-f]{9})?$/;
const SSM_IMAGE_PREFIX = "resolve:ssm:";
/** A Parameter Store name (one word, or a path rooted at `/`), optionally followed by `:version` or `:label`. */
const SSM_IMAGE_REFERENCE = /^resolve:ssm:(?<parameter>[\w.-]+|(?:\/[\w.-]+)+)(?::[\w.-]+)?$/;

/**
 * The image an SSM parameter names locally, where no parameter store holds real ones: made up from the
 * parameter's name and region, so every launch through the same parameter in a region gets the same
 * image (as on AWS until a new image is published), each region its own (as AWS's public parameters
 * name each region's copy of an image), and the services can use the very parameters they use on AWS.
 */
export const localImageIdOf = (parameter: string, region: string): string =>
  `ami-${createHash("sha256").update(`${region}:${parameter}`).digest("hex").slice(0, 17)}`;

/**
 * The AMI a launch names (as given, or resolved in the launch's region from a `resolve:ssm:` reference
 * as RunInstances does) and the device its root volume is attached as.
 */
export const resolveImage = (
  imageId: string,
  region: string,
): { imageId: string; rootDeviceName: string } => {
  if (imageId.startsWith(SSM_IMAGE_PREFIX)) {
    const parameter = SSM_IMAGE_REFERENCE.exec(imageId)?.groups?.parameter;
    if (parameter === undefined) {
      throw invalidValue(
        `Invalid value '${imageId}' for ImageId. Expected ${SSM_IMAGE_PREFIX}<parameter name>[:<version or label>]`,
      );
    }
    return {
      imageId: localImageIdOf(parameter, region),
      rootDeviceName: SDA1_IMAGE_PARAMETERS.test(parameter) ? "/dev/sda1" : DEFAULT_ROOT_DEVICE_NAME,
    };
  }
  if (!IMAGE_ID.test(imageId)) {
    throw new Ec2Error("InvalidAMIID.Malformed", `Invalid id: "${imageId}" (expecting "ami-...")`);
  }
  return { imageId, rootDeviceName: DEFAULT_ROOT_DEVICE_NAME };
};
