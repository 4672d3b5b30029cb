/**
 * Runs this tool inside the OpenZFS guest, for what only works on the machine that has the
 * pool: zfs-check mounts and clones snapshots locally (upstream has no ssh for it). The guest
 * has no Deno, so the host's `deno` binary (a self-contained x86-64 ELF that runs on the
 * guest's Debian 12) is copied there once per boot, with a bundle of main.ts (`deno bundle`)
 * next to it. A symbolic link named `zfs-check` to that deno makes the bundle start as
 * zfs-check by its program name, the way an installed binary is reached.
 */
import { join } from "node:path";
import { spawnProcess } from "../../lib/exec/process.ts";
import { shellQuote } from "../../lib/exec/quote.ts";
import { REPO_ROOT } from "./env.ts";
import { controlDir, ozfsConfig, ozfsOk, ozfsSshArgv } from "./ozfs.ts";

/** Where the tool lives in the guest. */
export const GUEST_TOOL_DIR = "/var/tmp/zab-check";

/** The tool deployed in the guest. */
export interface GuestTool {
  /** Shell words that run zfs-check in the guest (append the arguments, quoted). */
  readonly command: string;
}

/**
 * Copies deno (when the guest does not have this exact binary yet) and a fresh bundle of
 * main.ts into the guest. Takes about 20 s the first time after a boot (95 MB over emulated
 * networking), a second or two after that.
 */
export async function deployGuestTool(): Promise<GuestTool> {
  const config = ozfsConfig();
  if (!config) throw new Error("Deploying the tool to the guest failed: no OpenZFS guest");
  const deno = Deno.execPath();
  const size = (await Deno.stat(deno)).size;
  const guestDeno = `${GUEST_TOOL_DIR}/deno-${Deno.version.deno}`;
  const have = await ozfsOk(`mkdir -p ${GUEST_TOOL_DIR}; stat -c %s ${guestDeno} 2>/dev/null || echo 0`, {
    config,
  });
  if (Number(have.trim()) !== size) await scp(deno, `${guestDeno}.part`, config);
  const dir = await Deno.makeTempDir({ prefix: "zab-bundle-" });
  try {
    const bundle = join(dir, "zab.js");
    const r = await spawnProcess([
      deno,
      "bundle",
      "-q",
      "--platform",
      "deno",
      "--config",
      join(REPO_ROOT, "deno.json"),
      "--output",
      bundle,
      join(REPO_ROOT, "main.ts"),
    ]);
    if (r.code !== 0) throw new Error(`Bundling main.ts failed with exit code ${r.code}: ${r.stderr}`);
    await scp(bundle, `${GUEST_TOOL_DIR}/zab-${Deno.pid}.js`, config);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const link = `${GUEST_TOOL_DIR}/zfs-check`;
  await ozfsOk(
    [
      `if [ -e ${guestDeno}.part ]; then chmod 755 ${guestDeno}.part && mv ${guestDeno}.part ${guestDeno}; fi`,
      `ln -sfn ${guestDeno} ${link}`,
    ].join("\n"),
    { config },
  );
  return {
    command: `NO_COLOR=1 DENO_NO_UPDATE_CHECK=1 ${link} run -q -A ${
      shellQuote(`${GUEST_TOOL_DIR}/zab-${Deno.pid}.js`)
    }`,
  };
}

async function scp(from: string, to: string, config: string): Promise<void> {
  await Deno.mkdir(controlDir(), { recursive: true });
  // The shared ControlMaster of the harness's ssh calls carries the copy.
  const ssh = ozfsSshArgv(`cat > ${shellQuote(to)}`, config);
  const r = await spawnProcess(["sh", "-c", `${ssh.map(shellQuote).join(" ")} < ${shellQuote(from)}`]);
  if (r.code !== 0) {
    throw new Error(`Copying "${from}" to the guest failed with exit code ${r.code}: ${r.stderr}`);
  }
}
