import { execa } from "execa";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A throwaway QEMU micro-VM running Debian's own kernel (with device-mapper, dm-crypt, loop),
 * for tests that need a kernel this machine lacks. The host's whole root is shared by 9p and the
 * command runs as root in a chroot of it, so it sees the project, its dist/ and every tool
 * installed here. /proc, /sys, /dev and /run are the VM's own. Software emulation (TCG): KVM on
 * these machines cannot run a stock kernel, and one vCPU is faster than two under TCG.
 */
const HERE = resolve(fileURLToPath(import.meta.url), "..");

export interface VmResult { exitCode: number; output: string; elapsedMs: number }

export function vmCacheDir(): string {
  return process.env.CRYPTKEEP_VM_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "cryptkeep-test-vm");
}

/** Every prerequisite of the VM, checked up front so a missing one fails with its fix. */
export function missingPrerequisites(): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push("root (loop devices and 9p passthrough in the VM)");
  if (!existsSync("/usr/bin/qemu-system-x86_64")) missing.push("qemu-system-x86_64 (apt-get install --no-install-recommends qemu-system-x86)");
  if (!existsSync("/bin/busybox")) missing.push("/bin/busybox (apt-get install busybox-static)");
  return missing;
}

/** Downloads the kernel and builds the initramfs once; returns their paths. */
export async function prepareVm(cache = vmCacheDir()): Promise<{ kernel: string; initrd: string; kver: string }> {
  const missing = missingPrerequisites();
  if (missing.length) throw new Error(`the test VM cannot run here; missing: ${missing.join("; ")}`);
  const { stdout } = await execa("bash", [join(HERE, "prepare.sh"), cache]);
  const value = (key: string) => new RegExp(`^${key}=(.*)$`, "m").exec(stdout)?.[1] ?? "";
  return { kernel: value("KERNEL"), initrd: value("INITRD"), kver: value("KVER") };
}

export interface VmRunOptions {
  /** The working folder of the command inside the VM. */
  cwd: string;
  env?: Record<string, string>;
  /** @default 2048 */
  memoryMiB?: number;
  /** @default 900_000 */
  timeoutMs?: number;
  /** Called with each chunk of the command's output as it comes. */
  onOutput?: (chunk: string) => void;
}

/** Boots the VM once, runs `script` with bash in it, and returns its exit code and output. */
export async function runInVm(script: string, options: VmRunOptions): Promise<VmResult> {
  const started = Date.now();
  const { kernel, initrd } = await prepareVm();
  const run = await mkdtemp(join(tmpdir(), "cryptkeep-vm-"));
  try {
    const exports = Object.entries(options.env ?? {}).map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'`);
    const command = join(run, "cmd.sh");
    await writeFile(command, ["#!/bin/bash", "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8", ...exports, `cd '${options.cwd}' || exit 125`, script, ""].join("\n"));
    await chmod(command, 0o755);
    const status = join(run, "status");
    const child = execa("qemu-system-x86_64", [
      "-M", "microvm,rtc=on", "-kernel", kernel, "-initrd", initrd,
      // microvm has no PIT/HPET: without tsc_early_khz the TSC calibration hangs.
      "-append", `console=ttyS1 quiet loglevel=3 panic=-1 tsc_early_khz=2000000 vmrun=${command}`,
      "-fsdev", "local,id=fs0,path=/,security_model=passthrough,multidevs=remap", "-device", "virtio-9p-device,fsdev=fs0,mount_tag=hostroot",
      "-accel", "tcg", "-cpu", "max", "-smp", "1", "-m", String(options.memoryMiB ?? 2048),
      "-display", "none", "-monitor", "none", "-no-reboot",
      "-chardev", "stdio,id=con,signal=off", "-serial", "chardev:con",
      "-chardev", `file,id=st,path=${status}`, "-device", "isa-serial,chardev=st,index=1",
    ], { stdin: "ignore", reject: false, timeout: options.timeoutMs ?? 900_000, forceKillAfterDelay: 5000, buffer: { stdout: true, stderr: true } });
    child.stdout?.on("data", (chunk: Buffer) => options.onOutput?.(chunk.toString()));
    const result = await child;
    const statusText = await readFile(status, "utf8").catch(() => "");
    const code = /^exit=(\d+)/m.exec(statusText.replace(/\r/g, ""))?.[1];
    const output = String(result.stdout).replace(/\r/g, "");
    if (code === undefined) {
      throw new Error(`the VM ended without an exit status (qemu exit ${result.exitCode}${result.timedOut ? ", timed out" : ""}): ${String(result.stderr)}\nkernel console:\n${statusText.slice(-3000)}\noutput:\n${output.slice(-3000)}`);
    }
    return { exitCode: Number(code), output, elapsedMs: Date.now() - started };
  } finally {
    await rm(run, { recursive: true, force: true });
  }
}
