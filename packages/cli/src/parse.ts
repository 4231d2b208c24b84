import { InvalidArgumentError } from "commander";
import { type Address, isAddress, parseEther } from "viem";

/** Option parsers: a bad value is a usage error (exit 2) naming the option. */

export function integer(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError("not an integer");
  return n;
}

export function positive(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError("not a positive integer");
  return n;
}

export function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("not a port (0 picks a free one)");
  return n;
}

export function size(value: string): { width: number; height: number } {
  const match = /^(\d+)x(\d+)$/.exec(value);
  if (!match) throw new InvalidArgumentError("expected WIDTHxHEIGHT, e.g. 512x512");
  return { width: Number(match[1]), height: Number(match[2]) };
}

export function address(value: string): Address {
  if (!isAddress(value)) throw new InvalidArgumentError("not an address");
  return value;
}

export function cnx(value: string): bigint {
  try {
    return parseEther(value);
  } catch {
    throw new InvalidArgumentError("not an amount of CNX");
  }
}
