import { Command, CommanderError } from "commander";
import { App, type GlobalOptions } from "./app.js";
import { printError, printResult, errorReport } from "./output.js";
import { ExitCode } from "../exit-codes.js";
import { cryptkeepPackage } from "../package-root.js";
import { registerBackup } from "./commands/backup.js";
import { registerRestore } from "./commands/restore.js";
import { registerVerify } from "./commands/verify.js";
import { registerSnapshots } from "./commands/snapshots.js";
import { registerPrune } from "./commands/prune.js";
import { registerPlan } from "./commands/plan.js";
import { registerDoctor } from "./commands/doctor.js";
import { registerInit } from "./commands/init.js";
import { registerRecipe } from "./commands/recipe.js";
import { registerKeygen } from "./commands/keygen.js";
import { registerMount } from "./commands/mount.js";
import { registerUmount } from "./commands/umount.js";
import { registerGrow } from "./commands/grow.js";
import { registerTrim } from "./commands/trim.js";
import { registerStatus } from "./commands/status.js";
import { registerSchedule } from "./commands/schedule.js";

export type AppLoader = (cmd: Command) => Promise<App>;

const loadApp: AppLoader = (cmd) => App.load(cmd.optsWithGlobals<GlobalOptions>());

export function buildProgram(): Command {
  const program = new Command("cryptkeep")
    .description("Encrypted backups to places you do not trust, restorable with standard tools.")
    .option("-c, --config <file>", "config file (default: backup.config.ts, .mts, .js or .mjs, searched upwards)")
    .option("--json", "print results as JSON on stdout")
    .option("--debug", "log every command run and show stack traces")
    .option("-q, --quiet", "only warnings and errors on stderr")
    .version(cryptkeepPackage().version, "-V, --version", "print cryptkeep's version")
    .showHelpAfterError()
    .exitOverride()
    .addHelpText("after", `
Examples:
  cryptkeep keygen --out ./keys/backup       make a key pair
  cryptkeep init documents                   create the target
  cryptkeep plan documents                   show what backup would run
  cryptkeep backup                           back up every job
  cryptkeep restore documents --to ./out --at '3 days ago'
  cryptkeep verify documents --compare
  cryptkeep recipe documents                 restore without cryptkeep
  cryptkeep mount documents ./browse         a read-only view (gocryptfs and LUKS jobs)
  cryptkeep grow photos --size 8T            a bigger LUKS container
  cryptkeep status                           how old each job's newest snapshot is
  cryptkeep schedule --install               systemd timers for every job

Exit codes: 0 ok, 1 failed, 2 bad config or usage, 3 skipped (locked by another run),
4 verification found differences, 5 partial (some files not backed up), 6 stale (status),
130 interrupted.`);
  registerBackup(program, loadApp);
  registerRestore(program, loadApp);
  registerVerify(program, loadApp);
  registerSnapshots(program, loadApp);
  registerPrune(program, loadApp);
  registerPlan(program, loadApp);
  registerDoctor(program, loadApp);
  registerInit(program, loadApp);
  registerRecipe(program, loadApp);
  registerMount(program, loadApp);
  registerUmount(program, loadApp);
  registerGrow(program, loadApp);
  registerTrim(program, loadApp);
  registerKeygen(program);
  registerStatus(program, loadApp);
  registerSchedule(program, loadApp);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help") return ExitCode.ok;
      return ExitCode.usage;
    }
    const globals = program.opts<GlobalOptions>();
    const exitCode = printError(error, { json: false, debug: globals.debug ?? false });
    if (globals.json) printResult(true, { exitCode, error: errorReport(error) }, () => "");
    return exitCode;
  }
}
