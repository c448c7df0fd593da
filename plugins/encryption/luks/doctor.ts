import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { DoctorCheck, RunContext } from "../../../core/types.js";
import { messages } from "../../../core/messages.js";

/**
 * Whether this kernel can open LUKS containers, without writing anything: the kernel must list
 * device-mapper (/proc/misc; a /dev/mapper/control node alone proves nothing, libdevmapper makes
 * one even where the kernel has none) and its crypt target must be loaded or loadable.
 */
export async function deviceMapperChecks(ctx: RunContext): Promise<DoctorCheck[]> {
  const misc = await readFile("/proc/misc", "utf8").catch(() => "");
  if (!/\bdevice-mapper\b/.test(misc) && !existsSync("/sys/class/misc/device-mapper")) {
    const error = messages.luksNoDeviceMapper("the kernel lists no device-mapper in /proc/misc");
    return [{ name: "device-mapper", ok: false, detail: `${error.message}; ${error.hint}` }];
  }
  const checks: DoctorCheck[] = [{ name: "device-mapper", ok: true, detail: "the kernel has device-mapper" }];
  const targets = await ctx.exec({ tool: "dmsetup", args: ["targets"], okExitCodes: [1] }).then((r) => r.stdout, () => "");
  const modules = await readFile("/proc/modules", "utf8").catch(() => "");
  if (/^crypt\s/m.test(targets) || /^dm_crypt\s/m.test(modules) || existsSync("/sys/module/dm_crypt")) {
    checks.push({ name: "dm-crypt", ok: true, detail: "the crypt target is loaded" });
    return checks;
  }
  const loadable = await ctx.exec({ tool: "modprobe", args: ["-n", "dm_crypt"], okExitCodes: [1] }).then((r) => r.exitCode === 0, () => false);
  checks.push(loadable
    ? { name: "dm-crypt", ok: true, detail: "not loaded yet; the kernel loads it on first use (modprobe dm_crypt)" }
    : { name: "dm-crypt", ok: false, detail: "the kernel has no dm-crypt module: install the kernel's modules (Debian: linux-image-*) or run on a kernel with CONFIG_DM_CRYPT" });
  return checks;
}
