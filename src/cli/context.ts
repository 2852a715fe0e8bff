/** Global options (`--url`, `--token`, `--json`) and argument parsers shared by the commands. */
import { type Command, InvalidArgumentError } from "commander";
import { ApiClient } from "./client.js";

/** The default server URL. */
export const DEFAULT_URL = "http://127.0.0.1:8787";

/** Options every command accepts. */
export interface GlobalOptions {
  url: string;
  token: string | undefined;
  json: boolean;
}

/** The global options as seen from `command` (set before or after the subcommand). */
export function globals(command: Command): GlobalOptions {
  const all: Record<string, unknown> = command.optsWithGlobals();
  const url =
    typeof all.url === "string" && all.url !== "" ? all.url : process.env.PYRITE_URL || DEFAULT_URL;
  const token =
    typeof all.token === "string" && all.token !== ""
      ? all.token
      : process.env.PYRITE_TOKEN || undefined;
  return { url, token, json: all.json === true };
}

/** The API client for `command`'s global options. */
export function clientOf(command: Command): ApiClient {
  const { url, token } = globals(command);
  return new ApiClient({ url, token });
}

/** A commander parser for an integer in [min, max]; anything else is a usage error. */
export function intArg(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    }
    return n;
  };
}

/** A commander parser for a comma-separated list. */
export function listArg(value: string): string[] {
  return value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}
