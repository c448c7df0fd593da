/** Exit codes a cron job or monitor can act on. Documented in docs/cli.md. */
export const ExitCode = Object.freeze({
  ok: 0,
  failed: 1,
  usage: 2,
  locked: 3,
  verifyFailed: 4,
  partial: 5,
  /** `cryptkeep status`: the newest snapshot is older than maxAge, or there is none. */
  stale: 6,
  interrupted: 130,
});

export type ExitCodeName = keyof typeof ExitCode;
