/**
 * Which `zfs allow` permissions a run needs on each side (pure). A table of rules, each a
 * permission, the side, when the job needs it and why; a new zfs verb is one more row. Permissions that zfs requires alongside others (`mount` for destroy, create,
 * receive and rollback; `create` for receive) are added with the one that implies them.
 * Property permissions come from what the streams carry (`zfs send -p`) and what the receive
 * sets: a user property needs `userprop`, a native one its own name.
 */
import type { Job } from "../job/job.ts";
import { ENCRYPTION_PROPERTIES } from "../transfer/send_recv.ts";

/** The two sides of a run. */
export type Side = "source" | "target";

/** Facts about the hosts that decide what a run does. */
export interface NeedFacts {
  /** The side's zfs has holds (`--no-holds` is the rules' business). */
  holds: Readonly<Record<Side, boolean>>;
  /** Properties the streams carry: the local and received properties of the selected datasets. */
  sentProperties: readonly string[];
  /** Some target dataset's parent is below TARGET-PATH, so a parent may have to be created. */
  createsParents: boolean;
  /**
   * Some selected dataset's pool and TARGET-PATH's pool both have `bookmark_written`, so the
   * run bookmarks (unless `--no-bookmarks`, which is the rules' business).
   */
  bookmarks: boolean;
}

/** One needed permission and why. */
export interface Need {
  permission: string;
  why: string;
}

/** One rule of the table. */
interface Rule {
  side: Side;
  permission: string;
  /** Why the job needs it, or undefined when it does not. */
  when: (job: Job, facts: NeedFacts) => string | undefined;
}

const replicates = (job: Job) => job.targetPath !== undefined;
const sends = (job: Job) => replicates(job) && !job.noSend;
const holds = (job: Job, facts: NeedFacts, side: Side) =>
  replicates(job) && !job.noHolds && facts.holds[side];
const bookmarks = (job: Job, facts: NeedFacts) => sends(job) && !job.noBookmarks && facts.bookmarks;
/** Why the source needs destroy when only bookmarks are destroyed (zfs then checks no mount). */
const BOOKMARKS_ONLY = "older bookmarks of this target";

/** The rules. Keep them in the order they are printed. */
const RULES: readonly Rule[] = [
  { side: "source", permission: "snapshot", when: (j) => (j.noSnapshot ? undefined : "new snapshots") },
  { side: "source", permission: "send", when: (j) => (sends(j) ? "zfs send" : undefined) },
  {
    side: "source",
    permission: "bookmark",
    when: (j, f) => (bookmarks(j, f) ? "bookmarking the sent snapshot" : undefined),
  },
  {
    side: "source",
    permission: "hold",
    when: (j, f) => {
      if (!holds(j, f, "source")) return undefined;
      // With bookmarks, only a snapshot whose bookmark cannot be made is held.
      return bookmarks(j, f) ? "holding a snapshot that cannot be bookmarked" : "holding the common snapshot";
    },
  },
  {
    side: "source",
    permission: "release",
    when: (j, f) => {
      if (!holds(j, f, "source")) return undefined;
      return bookmarks(j, f) ? "releasing holds once bookmarked" : "releasing the previous common snapshot";
    },
  },
  {
    side: "source",
    permission: "destroy",
    when: (j, f) => {
      const why = [
        ...(j.noThinning ? [] : ["thinning (--keep-source)"]),
        ...(bookmarks(j, f) ? [BOOKMARKS_ONLY] : []),
      ];
      return why.length ? why.join(", ") : undefined;
    },
  },
  { side: "target", permission: "receive", when: (j) => (sends(j) ? "zfs receive" : undefined) },
  { side: "target", permission: "create", when: (j) => (sends(j) ? "new datasets and parents" : undefined) },
  {
    side: "target",
    permission: "hold",
    when: (j, f) => (holds(j, f, "target") ? "holding the common snapshot" : undefined),
  },
  {
    side: "target",
    permission: "release",
    when: (j, f) => (holds(j, f, "target") ? "releasing the previous common snapshot" : undefined),
  },
  {
    side: "target",
    permission: "destroy",
    when: (j) => {
      if (!replicates(j)) return undefined;
      const why = [
        ...(j.noThinning ? [] : ["thinning (--keep-target)"]),
        ...(j.destroyIncompatible ? ["--destroy-incompatible"] : []),
        ...(j.destroyMissing !== undefined ? ["--destroy-missing"] : []),
        ...(j.force ? ["--force (zfs receive -F)"] : []),
      ];
      return why.length ? why.join(", ") : undefined;
    },
  },
  {
    side: "target",
    permission: "rollback",
    when: (j) => {
      if (!replicates(j)) return undefined;
      const why = [
        ...(j.rollback ? ["--rollback"] : []),
        ...(j.destroyIncompatible ? ["--destroy-incompatible"] : []),
        ...(j.force ? ["--force (zfs receive -F)"] : []),
      ];
      return why.length ? why.join(", ") : undefined;
    },
  },
];

/**
 * Permissions zfs requires along with another one (zfs-allow(8)). Measured on OpenZFS 2.3:
 * destroy fails without mount; snapshot works without it, although the manual lists it.
 */
const IMPLIES: Readonly<Record<string, readonly string[]>> = {
  destroy: ["mount"],
  create: ["mount"],
  rollback: ["mount"],
  receive: ["create", "mount"],
  clone: ["create", "mount"],
};

/** The permission that lets a user set a property: `userprop` for user properties (with a ":"). */
export function propertyPermission(property: string): string {
  return property.includes(":") ? "userprop" : property;
}

/**
 * Properties a receive writes: what the streams carry, the filtered ones (OpenZFS 2.3 refuses
 * `zfs recv -x P` without the permission for P as well) and the set ones. Without a permission
 * zfs receive still succeeds, but leaves the property out ("cannot receive P property").
 */
function receivedProperties(job: Job, facts: NeedFacts): Need[] {
  if (!sends(job)) return [];
  const needs: Need[] = [];
  // Decrypting an encrypted dataset sends no properties; which datasets are encrypted is not
  // known here, so the properties are counted (one permission too many at worst).
  for (const p of facts.sentProperties) {
    needs.push({ permission: propertyPermission(p), why: `the stream carries ${p}` });
  }
  const filtered = [
    ...job.filterProperties,
    ...(job.clearRefreservation ? ["refreservation"] : []),
    ...(job.encrypt ? ENCRYPTION_PROPERTIES : []),
  ];
  for (const p of filtered) needs.push({ permission: propertyPermission(p), why: `zfs recv -x ${p}` });
  for (const p of job.setProperties) {
    needs.push({ permission: propertyPermission(p.name), why: `--set-properties ${p.name}` });
  }
  if (facts.createsParents) {
    needs.push({ permission: "canmount", why: "parents are created with canmount=off" });
  }
  if (job.clearMountpoint) {
    needs.push({ permission: "canmount", why: "--clear-mountpoint (canmount=noauto)" });
  }
  return needs;
}

/** Adds `need` unless its permission is there already (the first reason is kept). */
function add(list: Need[], need: Need): void {
  if (!list.some((n) => n.permission === need.permission)) list.push(need);
}

/** The permissions `job` needs on each side, with the reason for each. */
export function neededPermissions(job: Job, facts: NeedFacts): Record<Side, Need[]> {
  const out: Record<Side, Need[]> = { source: [], target: [] };
  for (const rule of RULES) {
    const why = rule.when(job, facts);
    if (why !== undefined) add(out[rule.side], { permission: rule.permission, why });
  }
  if (!job.noSnapshot) {
    for (const p of job.setSnapshotProperties) {
      add(out.source, { permission: propertyPermission(p.name), why: `--set-snapshot-properties ${p.name}` });
    }
  }
  for (const need of receivedProperties(job, facts)) add(out.target, need);
  for (const side of ["source", "target"] as const) {
    for (const need of [...out[side]]) {
      if (need.why === BOOKMARKS_ONLY) continue;
      for (const implied of IMPLIES[need.permission] ?? []) {
        add(out[side], { permission: implied, why: `zfs requires it for ${need.permission}` });
      }
    }
  }
  return out;
}
