import type { Command } from "commander";
import { ExitCode } from "../../exit-codes.js";
import { Runner } from "../../runner.js";
import { runJobs } from "../run-jobs.js";
import type { AppLoader } from "../main.js";
import type { DoctorCheck, ToolRequirement } from "../../types.js";
import { messageOf } from "../../errors.js";
import { compareVersions } from "../../versions.js";

export function registerDoctor(program: Command, load: AppLoader): void {
  program
    .command("doctor")
    .description("check tools (version found and needed), key files, permissions and free space; writes nothing")
    .argument("[jobs...]", "jobs to check; all when none is named")
    .addHelpText("after", "\nExample:\n  cryptkeep doctor")
    .action(async (jobs: string[], _opts: unknown, cmd: Command) => {
      const app = await load(cmd);
      const runner = new Runner(app.tools);
      process.exitCode = await runJobs(app, jobs, "doctor", async (engine) => {
        const checks: DoctorCheck[] = [];
        for (const requirement of engine.requirements()) checks.push(await checkTool(runner, requirement));
        await app.session(engine, "doctor", {}, { lock: false, connect: false }, (ctx) => engine.hooks.doctor.promise(ctx, checks));
        const failed = checks.some((c) => !c.ok && !c.detail.startsWith("optional"));
        return { result: checks, exitCode: failed ? ExitCode.failed : ExitCode.ok };
      }, ({ job, result }) =>
        [`${job}:`, ...result!.map((c) => `  ${c.ok ? "ok  " : "FAIL"} ${c.name}${c.found ? ` ${c.found}` : ""}${c.needed ? ` (needs ${c.needed})` : ""}: ${c.detail}`)].join("\n"));
    });
}

export async function checkTool(runner: Runner, req: ToolRequirement): Promise<DoctorCheck> {
  const needed = req.minVersion ? `>= ${req.minVersion}` : undefined;
  try {
    const { stdout, stderr } = await runner.run({ tool: req.tool, args: req.versionArgs, okExitCodes: [1] });
    const found = req.versionPattern.exec(stdout + stderr)?.[1];
    const recentEnough = !req.minVersion || (found !== undefined && compareVersions(found, req.minVersion) >= 0);
    const ok = recentEnough || (req.optional ?? false);
    const path = runner.resolveTool(req.tool);
    return { name: req.tool, ok, found: found ?? "unknown version", needed, detail: path === req.tool ? req.purpose : `${req.purpose} (${path})` };
  } catch (error) {
    return { name: req.tool, ok: req.optional ?? false, needed, detail: `${req.optional ? "optional, " : ""}${messageOf(error)}` };
  }
}

