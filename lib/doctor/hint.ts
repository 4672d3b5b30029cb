/**
 * The one-line hint that replaces a zfs error caused by a missing delegated permission:
 * "missing zfs permission 'hold' on pool/fs for user backup: run --check-permissions".
 */
import { ZfsError } from "../errors.ts";
import { propertyPermission } from "./needed.ts";

/** A host as far as the hint needs it. */
export interface HintHost {
  /** `Source`, `Target (backup@nas)`: what a `CommandError` names as its host. */
  readonly displayName: string;
  /** `[user@]host` for ssh, undefined for this machine. */
  readonly address: string | undefined;
}

/** "user NAME" for the user a host's commands run as, as far as it is known without asking. */
export function userOf(address: string | undefined, env: (name: string) => string | undefined): string {
  if (address === undefined) {
    const name = env("USER") ?? env("LOGNAME");
    return name ? `user ${name}` : "this process's user";
  }
  const at = address.lastIndexOf("@");
  return at > 0 ? `user ${address.slice(0, at)}` : `the ssh user of ${address}`;
}

/** The permission error in `e` (itself or its cause), if a missing permission caused it. */
function permissionError(e: unknown): ZfsError | undefined {
  if (e instanceof ZfsError) return e.reason === "permission" ? e : undefined;
  return e instanceof Error && e.cause !== e ? permissionError(e.cause) : undefined;
}

/**
 * The hint for `e` when zfs refused it for a missing delegated permission, else undefined.
 * `hosts` are the run's hosts, to tell whose user it was.
 */
export function permissionHint(
  e: unknown,
  hosts: readonly (HintHost | undefined)[],
  env: (name: string) => string | undefined = readEnv,
): string | undefined {
  const z = permissionError(e);
  if (!z) return undefined;
  const host = hosts.find((h) => h?.displayName === z.host);
  return hintText(z.verb, z.dataset, userOf(host?.address, env));
}

/** The hint for `permission` on `dataset` missing for `user` ("user NAME", see `userOf`). */
export function hintText(permission: string, dataset: string | undefined, user: string): string {
  const on = dataset === undefined ? "" : ` on ${dataset}`;
  return `missing zfs permission '${permission}'${on} for ${user}: run --check-permissions`;
}

/**
 * The hints for properties a receive into `dataset` on `host` dropped for lack of permission
 * (the receive itself succeeded).
 */
export function propertyHints(
  properties: readonly string[],
  dataset: string,
  host: HintHost,
  env: (name: string) => string | undefined = readEnv,
): string[] {
  const user = userOf(host.address, env);
  return [...new Set(properties.map(propertyPermission))].map((p) => hintText(p, dataset, user));
}

/** The environment, where the process may read it. */
function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}
