import { buffer } from "node:stream/consumers";
import type { Store } from "../../../core/types.js";
import { FORMAT_MARKER } from "./layout.js";

export interface TargetMarker { format: string; job?: string; created?: string; note?: string }

/** The plaintext marker at the top of a target; undefined when there is none (or it is unreadable). */
export async function readMarker(store: Store): Promise<TargetMarker | undefined> {
  if (!(await store.exists(FORMAT_MARKER))) return undefined;
  try {
    return JSON.parse((await buffer(await store.get(FORMAT_MARKER))).toString("utf8")) as TargetMarker;
  } catch {
    return undefined;
  }
}
