/**
 * Schema 1 of the `--report` document, written down independently of lib/report/report.ts (as
 * README documents it) and checked strictly: every field present with its type, no field that
 * the schema does not name. Used by the unit tests and by the real-ZFS runs.
 */
import assert from "node:assert/strict";

type Shape =
  | "string"
  | "number"
  | "integer"
  | "boolean"
  | "iso"
  | { nullable: Shape }
  | { oneOf: readonly (string | number)[] }
  | { array: Shape }
  | { record: Shape }
  | { object: Readonly<Record<string, Shape>> };

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const REASONS = [
  "not-found",
  "exists",
  "modified",
  "busy",
  "permission",
  "no-space",
  "resume-stale",
  "has-clones",
  "invalid-name",
  "unsupported",
  "connection",
  "other",
] as const;
const nullable = (s: Shape): Shape => ({ nullable: s });
const counts = (...names: string[]): Shape => ({
  object: Object.fromEntries(names.map((n) => [n, "integer"])),
});
const ERROR: Shape = nullable({ object: { message: "string", reason: nullable({ oneOf: REASONS }) } });
const SNAPSHOT: Shape = nullable({ object: { name: "string", time: nullable("iso") } });

/** The document. */
export const REPORT_SHAPE: Shape = {
  object: {
    schema: { oneOf: [1] },
    tool: { object: { name: { oneOf: ["zfs-autobackup"] }, version: "string" } },
    run: {
      object: {
        backupName: "string",
        mode: { oneOf: ["backup", "snapshot-only"] },
        source: { object: { host: nullable("string") } },
        target: nullable({ object: { host: nullable("string"), path: "string" } }),
        startTime: "iso",
        endTime: "iso",
        seconds: "number",
        exitCode: "integer",
        result: { oneOf: ["ok", "failed", "aborted", "fatal"] },
        error: ERROR,
        test: "boolean",
        options: { record: nullable("string") },
      },
    },
    datasets: {
      array: {
        object: {
          dataset: "string",
          target: nullable("string"),
          result: { oneOf: ["ok", "failed", "unfinished"] },
          failure: ERROR,
          newestSnapshot: SNAPSHOT,
          commonSnapshot: SNAPSHOT,
          lagSeconds: nullable("integer"),
          snapshotsMade: "integer",
          sent: counts("full", "incremental", "resumed"),
          destroyed: counts("source", "target"),
          bookmarks: counts("created", "destroyed"),
          bytes: nullable("integer"),
          seconds: "number",
        },
      },
    },
    totals: {
      object: {
        datasets: "integer",
        ok: "integer",
        failed: "integer",
        unfinished: "integer",
        snapshotsMade: "integer",
        sent: counts("full", "incremental", "resumed"),
        destroyed: counts("source", "target"),
        bookmarks: counts("created", "destroyed"),
        bytes: nullable("integer"),
        seconds: "number",
        maxLagSeconds: nullable("integer"),
        missingTarget: counts("snapshotsDestroyed", "datasetsDestroyed"),
      },
    },
  },
};

function check(value: unknown, shape: Shape, path: string): void {
  if (typeof shape === "string") {
    switch (shape) {
      case "string":
        return assert.equal(typeof value, "string", `${path}: expected a string`);
      case "boolean":
        return assert.equal(typeof value, "boolean", `${path}: expected a boolean`);
      case "number":
        return assert.ok(
          typeof value === "number" && Number.isFinite(value) && value >= 0,
          `${path}: expected a number >= 0`,
        );
      case "integer":
        return assert.ok(Number.isSafeInteger(value), `${path}: expected an integer, got ${value}`);
      case "iso":
        return assert.ok(
          typeof value === "string" && ISO.test(value),
          `${path}: expected an ISO time, got ${value}`,
        );
    }
  }
  if ("nullable" in shape) return value === null ? undefined : check(value, shape.nullable, path);
  if ("oneOf" in shape) {
    return assert.ok(shape.oneOf.includes(value as string), `${path}: ${JSON.stringify(value)} not allowed`);
  }
  if ("array" in shape) {
    assert.ok(Array.isArray(value), `${path}: expected an array`);
    return value.forEach((v, i) => check(v, shape.array, `${path}[${i}]`));
  }
  assert.ok(
    typeof value === "object" && value !== null && !Array.isArray(value),
    `${path}: expected an object`,
  );
  const obj = value as Record<string, unknown>;
  if ("record" in shape) {
    for (const [k, v] of Object.entries(obj)) {
      if (typeof v !== "number" && typeof v !== "boolean") check(v, shape.record, `${path}.${k}`);
    }
    return;
  }
  assert.deepEqual(Object.keys(obj).sort(), Object.keys(shape.object).sort(), `${path}: fields`);
  for (const [k, s] of Object.entries(shape.object)) check(obj[k], s, `${path}.${k}`);
}

/** Asserts that `value` (a parsed report) matches schema 1 exactly. */
export function checkReportSchema(value: unknown): void {
  check(value, REPORT_SHAPE, "report");
}
