import { isIPv6 } from "node:net";
import { refuse } from "./refusal.ts";

/** IP addresses and CIDR ranges, compared like AWS as fixed-length upper-case hex strings. */

const IPV4_SHAPE = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6_SHAPE = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;
const IPV4_MAPPED_PREFIX = "00000000000000000000FFFF";

const hex = (bytes: number[]): string =>
  bytes
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("")
    .toUpperCase();

/** The address's bytes, `"malformed"` when it looks like an address but is not one, or undefined. */
const ipAddressBytes = (text: string): number[] | "malformed" | undefined => {
  if (IPV4_SHAPE.test(text)) {
    const octets = text.split(".").map(Number);
    return octets.every((octet) => octet <= 255) ? octets : "malformed";
  }
  if (!IPV6_SHAPE.test(text)) return undefined;
  if (!isIPv6(text)) return "malformed";
  const [head = "", tail] = text.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups =
    tail === undefined
      ? headGroups
      : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill("0"), ...tailGroups];
  const bytes = groups.flatMap((group) => {
    const value = Number.parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
  // Like Java's address parser, an IPv4-mapped IPv6 address is the IPv4 address.
  return hex(bytes).startsWith(IPV4_MAPPED_PREFIX) ? bytes.slice(12) : bytes;
};

export const ipAddressToHex = (text: string): string | undefined => {
  const bytes = ipAddressBytes(text);
  return Array.isArray(bytes) ? hex(bytes) : undefined;
};

// AWS parses the mask as a Java int.
const JAVA_INT_MAX = 2 ** 31 - 1;

export interface IpRange {
  bottom: string;
  top: string;
}

/**
 * AWS's range runs from the address as written up to its last host address, so `10.0.0.5/24`
 * covers 10.0.0.5-10.0.0.255, and a full-length mask (/32, /128) is refused.
 */
export const parseCidr = (cidr: string): IpRange => {
  const parts = cidr.split("/");
  if (parts.length !== 2) return refuse("Malformed CIDR, one '/' required");
  const [address = "", maskText = ""] = parts;
  if (!/^[+-]?[0-9]+$/.test(maskText)) return refuse("Malformed CIDR, mask bits must be an integer");
  const maskBits = Number(maskText);
  if (Math.abs(maskBits) > JAVA_INT_MAX) return refuse("Malformed CIDR, mask bits must be an integer");
  if (maskBits < 0) return refuse("Malformed CIDR, mask bits must not be negative");
  const bytes = ipAddressBytes(address);
  if (bytes === "malformed") return refuse(`Invalid IP address: ${address}`);
  if (bytes === undefined) return refuse(`Nonstandard IP address: ${address}`);
  const bits = bytes.length * 8;
  if (maskBits >= bits)
    return refuse(bytes.length === 4 ? "IPv4 mask bits must be < 32" : "IPv6 mask bits must be < 128");
  const top = bytes.map((byte, index) => {
    const hostBits = Math.min(8, Math.max(0, bits - maskBits - (bytes.length - 1 - index) * 8));
    return byte | ((1 << hostBits) - 1);
  });
  return { bottom: hex(bytes), top: hex(top) };
};

export const isInRange = (range: IpRange, text: string): boolean => {
  const address = ipAddressToHex(text);
  return (
    address !== undefined &&
    address.length === range.bottom.length &&
    address >= range.bottom &&
    address <= range.top
  );
};
