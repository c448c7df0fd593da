/** Snapshot names carry their UTC time in ISO basic form: 20261123T142501Z (sorts as it reads). */
export const STAMP = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

export function utcStamp(date: Date = new Date()): string {
  return date.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

export function stampTime(stamp: string): Date | undefined {
  const m = STAMP.exec(stamp);
  return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : undefined;
}

const SECOND = 1000;

/** The first stamp after `stamp`, one second at a time, that `taken` does not hold. */
export function nextFreeStamp(stamp: string, taken: ReadonlySet<string>): string {
  let time = stampTime(stamp)!.getTime();
  let next: string;
  do {
    time += SECOND;
    next = utcStamp(new Date(time));
  } while (taken.has(next));
  return next;
}

/**
 * The stamp of a run starting now. A target already holding a folder of this second (a run
 * finished or interrupted within the same second) makes the run wait for the next free second:
 * two runs must not share a folder, and a stamp must not be earlier than the run it names.
 */
export async function freshStamp(taken: ReadonlySet<string>): Promise<{ stamp: string; started: number }> {
  for (;;) {
    const started = Date.now();
    const stamp = utcStamp(new Date(started));
    if (!taken.has(stamp)) return { stamp, started };
    await new Promise((resolve) => setTimeout(resolve, SECOND - (started % SECOND) + 1));
  }
}
