/**
 * The bad-input tables, as data: shared by the in-process exit-code tests (tests/app_test.ts)
 * and the real-ZFS bad-input layer (tests/integration/bad_input_fuse_test.ts).
 */

/**
 * One bad value per option that takes a value (and for the positionals): each must be refused
 * as a usage error before the lock is taken or any host is made. [argv after "test", why].
 */
export const BAD_VALUES: ReadonlyArray<readonly [readonly string[], RegExp]> = [
  [["/pool/backup"], /TARGET-PATH .*must not start with/],
  [["pool@snap"], /TARGET-PATH .*expected a dataset name/],
  [["--ssh-config", ""], /--ssh-config "": expected a file name/],
  [["--ssh-source", "-oProxyCommand=x"], /--ssh-source .*must not start with "-"/],
  [["--ssh-target", "a b"], /--ssh-target .*whitespace/],
  [["--property-format", "{}"], /--property-format "\{\}": .*not a user property/],
  [["--snapshot-format", "{}-%Q"], /--snapshot-format "\{\}-%Q": unknown directive "%Q"/],
  [["--snapshot-format", "{}{}-%Y"], /--snapshot-format .*"\{\}" may appear only once/],
  [["--hold-format", ""], /--hold-format "": expected a non-empty format/],
  [["--tag-seperator", "/"], /--tag-seperator "\/": expected one of _ \. : - space/],
  [["--tag", "a_b"], /--tag "a_b": it contains the tag separator "_"/],
  [
    ["--tag-seperator", "-", "--tag", "x"],
    /--tag-seperator with --snapshot-format .*contains the tag separator "-"/,
  ],
  [["--strip-path", "-1"], /--strip-path "-1": expected a whole number/],
  [["--exclude-unchanged", "1M"], /--exclude-unchanged "1M": expected a whole number/],
  [["--exclude-snapshot-pattern", "("], /--exclude-snapshot-pattern "\(": not a valid regular expression/],
  [["--exclude-snapshot-pattern", ""], /--exclude-snapshot-pattern "": an empty pattern/],
  [["--pre-snapshot-cmd", ""], /--pre-snapshot-cmd "": expected a command/],
  [["--post-snapshot-cmd", " "], /--post-snapshot-cmd " ": expected a command/],
  [["--min-change", "x"], /--min-change "x": expected a whole number/],
  [["--set-snapshot-properties", "a"], /--set-snapshot-properties "a": item "a" has no "="/],
  [["--filter-properties", "a,,b"], /--filter-properties "a,,b": property names must not be empty/],
  [["--set-properties", "a=1,a=2"], /--set-properties "a=1,a=2": property "a" is given twice/],
  [["--clones", "full"], /--clones "full": expected never or simple/],
  [["--parallel", "0"], /--parallel "0": expected 1 or more/],
  [["--compress=bzip2"], /--compress "bzip2": expected one of/],
  [["--rate", "fast"], /--rate "fast": expected a size/],
  [["--buffer", "1MiB"], /--buffer "1MiB": expected a size/],
  [["--buffer-chunk-size", "0"], /--buffer-chunk-size "0": expected a size/],
  [["--send-pipe", ""], /--send-pipe "": expected a command/],
  [["--recv-pipe", "\t"], /--recv-pipe "\\t": expected a command/],
  [["--keep-source", "-1"], /--keep-source "-1": number of snapshots to keep cannot be negative/],
  [["--keep-target", "1w1d"], /--keep-target "1w1d": period cannot be longer than TTL/],
  [["--destroy-missing", "30"], /--destroy-missing "30": missing time unit/],
  [["--report", ""], /--report "": expected a file name/],
  [["--report", "/var/log/"], /--report "\/var\/log\/": expected a file name/],
  [["--prometheus", "/tmp/zab.txt"], /--prometheus "\/tmp\/zab.txt": .*only files named "\*\.prom"/],
  [["--monitor", "26h"], /--monitor "26h": expected WARN,CRIT such as 26h,50h/],
  [["--monitor", "26h,50"], /--monitor "50": missing time unit/],
  [["--monitor", "2d,1d"], /--monitor "2d,1d": WARN must not be longer than CRIT/],
  [["--monitor", "1d,2d", "--report", "-"], /--report with --monitor: the check runs no backup/],
  [["--jobs", "jobs.yaml"], /argument "test" with --jobs: the jobs file names the backups/],
  [["--only", "a"], /--only without --jobs/],
];

/** Command lines that are wrong as a whole (whole argv): each is a usage error, exit 2. */
export const BAD_COMMAND_LINES: ReadonlyArray<readonly [readonly string[], RegExp]> = [
  [[], /BACKUP-NAME/],
  [["--no-such-option", "x"], /--no-such-option/],
  [["x", "a/b", "c/d"], /"c\/d": only BACKUP-NAME and TARGET-PATH/],
  [["x", "--keep-source"], /--keep-source: expected a value/],
  [["x", "--compress=", "a/b"], /--compress "": expected one of/],
];
