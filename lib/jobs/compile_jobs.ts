/**
 * Validating a parsed jobs file into `Job`s. Every value goes through `buildJob`, the same
 * validation as the command line, first on its own (so an error names the line and key it came
 * from), then the whole job. Every job of the file is validated, also those `--only` leaves out,
 * so a broken file is refused before anything runs.
 */
import { UsageError } from "../errors.ts";
import { buildJob, type JobNames, type OptionValues } from "../job/build_job.ts";
import type { Job } from "../job/job.ts";
import { showValue } from "../job/show_value.ts";
import { jobValues, type Located, type RawJob, type RawJobsFile } from "./jobs_file.ts";

/** One job of the file, ready to run. */
export interface FileJob {
  /** The job's name in the file. */
  name: string;
  job: Job;
}

/**
 * The jobs to run, in file order: those named by `only` (all when empty). `overrides` are the
 * options given on the command line next to `--jobs`; they apply to every job and win over
 * the file. Throws a one-line `UsageError` on the first problem.
 */
export function compileJobs(raw: RawJobsFile, overrides: OptionValues, only: readonly string[]): FileJob[] {
  const compiled = raw.jobs.map((j) => ({ name: j.name, job: compileJob(raw.file, j, overrides) }));
  const known = new Set(raw.jobs.map((j) => j.name));
  for (const name of only) {
    if (!known.has(name)) {
      throw new UsageError(
        `Cannot use --only ${showValue(name)}: "${raw.file}" has no such job (it has ${
          [...known].join(", ")
        })`,
      );
    }
  }
  return only.length ? compiled.filter((j) => only.includes(j.name)) : compiled;
}

/** Validates one job: each value alone (to locate an error), then all of them together. */
function compileJob(file: string, raw: RawJob, overrides: OptionValues): Job {
  const at = (place: { line: number; path: string }, e: unknown): never => {
    if (!(e instanceof UsageError)) throw e;
    throw new UsageError(`${file}:${place.line}: ${place.path}: ${e.message}`);
  };
  const backupName = raw.entries.get("backup-name")!;
  const targetPath = raw.entries.get("target-path");
  const checkNames = (names: JobNames) => {
    buildJob({}, names);
  };
  const name = String(backupName.value);
  try {
    checkNames({ backupName: name, targetPath: undefined });
  } catch (e) {
    at(backupName, e);
  }
  const names: JobNames = { backupName: name, targetPath: targetPath && String(targetPath.value) };
  if (targetPath) {
    try {
      checkNames(names);
    } catch (e) {
      at(targetPath, e);
    }
  }
  for (const [key, place] of raw.entries) {
    if (key === "backup-name" || key === "target-path") continue;
    try {
      buildJob({ [key]: place.value }, names);
    } catch (e) {
      at(place as Located, e);
    }
  }
  // Command-line values are reported as they are: they did not come from the file.
  buildJob(overrides, names);
  try {
    return buildJob({ ...jobValues(raw), ...overrides }, names);
  } catch (e) {
    return at({ line: raw.line, path: `jobs.${raw.name}` }, e);
  }
}
