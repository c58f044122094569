import {
  type Filter,
  INSTANCE_STATE_CODES,
  type Instance,
  invalidValue,
  type Tag,
  type Volume,
} from "./resources.ts";

/** EC2's filters of DescribeInstances and DescribeVolumes. */

const ANY_RUN = Symbol("any run of characters");
const ANY_CHARACTER = Symbol("any one character");
type FilterToken = string | typeof ANY_RUN | typeof ANY_CHARACTER;

/**
 * An EC2 filter value: `*` matches any run of characters, `?` one character, and a backslash makes the
 * `*`, `?` or backslash after it literal; every other character, a lone backslash included, is literal.
 */
const filterTokens = (value: string): FilterToken[] => {
  const tokens: FilterToken[] = [];
  for (let index = 0; index < value.length; index += 1) {
    const character = value[index] as string;
    const next = value[index + 1];
    if (character === "\\" && (next === "*" || next === "?" || next === "\\")) {
      tokens.push(next);
      index += 1;
    } else if (character === "*") tokens.push(ANY_RUN);
    else if (character === "?") tokens.push(ANY_CHARACTER);
    else tokens.push(character);
  }
  return tokens;
};

/**
 * Matches greedily and, on a mismatch, only retries from the latest `*`: an earlier star never needs
 * to take more, since the latest one can absorb it. That bounds the work to O(value × pattern), where a
 * backtracking RegExp takes exponential time on values like `*a*a*a*a*b`.
 */
const matchesFilterTokens = (tokens: FilterToken[], candidate: string): boolean => {
  let token = 0;
  let position = 0;
  let lastRun = -1;
  let resumeAt = 0;
  while (position < candidate.length) {
    const current = tokens[token];
    if (current === ANY_RUN) {
      lastRun = token;
      resumeAt = position;
      token += 1;
    } else if (current === ANY_CHARACTER || current === candidate[position]) {
      token += 1;
      position += 1;
    } else if (lastRun >= 0) {
      token = lastRun + 1;
      resumeAt += 1;
      position = resumeAt;
    } else {
      return false;
    }
  }
  while (tokens[token] === ANY_RUN) token += 1;
  return token === tokens.length;
};

/** The filterable attributes of one resource type, each giving the values a filter value is matched against. */
type FilterFields<Resource> = Record<string, (resource: Resource) => (string | number | undefined)[]>;

/**
 * EC2's filter semantics: every filter must match (AND), any one of a filter's values may match (OR),
 * values may use `*` and `?` wildcards, and `tag:<Key>` / `tag-key` look at the resource's tags.
 */
export const matchesFilters = <Resource extends { tags: Tag[] }>(
  resource: Resource,
  filters: Filter[],
  fields: FilterFields<Resource>,
): boolean =>
  filters.every(({ name, values }) => {
    const field = fields[name];
    const candidates = name.startsWith("tag:")
      ? resource.tags.filter((tag) => tag.key === name.slice(4)).map((tag) => tag.value)
      : name === "tag-key"
        ? resource.tags.map((tag) => tag.key)
        : (field?.(resource) ?? []);
    return values.some((value) => {
      const tokens = filterTokens(value);
      return candidates.some(
        (candidate) => candidate !== undefined && matchesFilterTokens(tokens, String(candidate)),
      );
    });
  });

export const checkFilters = (filters: Filter[], fields: FilterFields<never>) => {
  for (const { name, values } of filters) {
    if (!name.startsWith("tag:") && name !== "tag-key" && !Object.hasOwn(fields, name)) {
      throw invalidValue(`The filter '${name}' is invalid`);
    }
    if (values.length === 0) throw invalidValue(`The filter '${name}' must have at least one value`);
  }
};

export const INSTANCE_FILTERS: FilterFields<Instance> = {
  "instance-id": (instance) => [instance.instanceId],
  "instance-state-name": (instance) => [instance.state],
  "instance-state-code": (instance) => [INSTANCE_STATE_CODES[instance.state]],
  "instance-type": (instance) => [instance.instanceType],
  "image-id": (instance) => [instance.imageId],
  "reservation-id": (instance) => [instance.reservationId],
  "subnet-id": (instance) => [instance.subnetId],
  "private-ip-address": (instance) => [instance.privateIpAddress],
  "client-token": (instance) => [instance.clientToken],
  "metadata-options.http-tokens": (instance) => [instance.metadataOptions.httpTokens],
  "metadata-options.http-endpoint": (instance) => [instance.metadataOptions.httpEndpoint],
};

export interface AttachedVolume extends Volume {
  instanceId: string;
}

export const VOLUME_FILTERS: FilterFields<AttachedVolume> = {
  "volume-id": (volume) => [volume.volumeId],
  "volume-type": (volume) => [volume.volumeType],
  size: (volume) => [volume.size],
  status: () => ["in-use"],
  "attachment.instance-id": (volume) => [volume.instanceId],
  "attachment.device": (volume) => [volume.deviceName],
  encrypted: (volume) => [String(volume.encrypted)],
};
