/** Snapshot names carry their UTC time in ISO basic form: 20261123T142501Z (sorts as it reads). */
export const STAMP = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

export function utcStamp(date: Date = new Date()): string {
  return date.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

export function stampTime(stamp: string): Date | undefined {
  const m = STAMP.exec(stamp);
  return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : undefined;
}
