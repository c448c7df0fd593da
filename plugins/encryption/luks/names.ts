import { readFile, readdir } from "node:fs/promises";
import { PREFIX } from "../../../core/paths.js";

/**
 * Mapping names carry the cryptkeep prefix, the job and the pid of the run that opened them
 * (`cryptkeep-photos-4711`), so a later run of the job can find and close what a crashed run
 * left. A view kept by `cryptkeep mount` is `cryptkeep-photos-view`.
 */
export function jobSlug(job: string): string {
  return job.replace(/[^A-Za-z0-9_.]/g, "_").slice(0, 64);
}

export function mappingName(job: string, pid: number | "view" = process.pid): string {
  return `${PREFIX}${jobSlug(job)}-${pid}`;
}

/** Names of the device-mapper devices that exist now (none when the kernel has no device-mapper). */
export async function mappings(): Promise<string[]> {
  const devices = await readdir("/sys/block").catch(() => [] as string[]);
  const names = await Promise.all(devices.filter((d) => d.startsWith("dm-")).map((d) => readFile(`/sys/block/${d}/dm/name`, "utf8").then((n) => n.trim(), () => "")));
  return names.filter(Boolean);
}

/** This job's mappings left by runs whose process is gone. */
export function staleMappings(job: string, names: string[], alive: (pid: number) => boolean): string[] {
  const pattern = new RegExp(`^${PREFIX}${jobSlug(job).replace(/[.]/g, "\\.")}-(\\d+)$`);
  return names.filter((name) => {
    const pid = pattern.exec(name)?.[1];
    return pid !== undefined && Number(pid) !== process.pid && !alive(Number(pid));
  });
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Mount points whose source is `device` (/proc/self/mountinfo: the source follows " - fstype "). */
export async function mountsOf(device: string): Promise<string[]> {
  const text = await readFile("/proc/self/mountinfo", "utf8");
  return text.split("\n").filter(Boolean).flatMap((line) => {
    const [left, right] = line.split(" - ");
    const source = right?.split(" ")[1];
    const point = left!.split(" ")[4]!.replace(/\\(\d{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
    return source === device ? [point] : [];
  });
}
