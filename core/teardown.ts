/**
 * Undo actions registered right after something was acquired, run last-in-first-out.
 * Nothing that was never done is undone, because only acquired things register an undo.
 * A failing undo does not stop the others; failures are gathered and returned.
 */
export type Undo = (outcome: UnwindOutcome) => Promise<void> | void;

/** How the work being unwound ended: an undo may skip a check that only a run that succeeded needs. */
export interface UnwindOutcome { failed: boolean }

export class Teardown {
  readonly #stack: { label: string; undo: Undo }[] = [];

  defer(label: string, undo: Undo): void {
    this.#stack.push({ label, undo });
  }

  get pending(): readonly string[] {
    return this.#stack.map((entry) => entry.label);
  }

  async unwind(onStep?: (label: string) => void, outcome: UnwindOutcome = { failed: false }): Promise<{ label: string; error: unknown }[]> {
    const failures: { label: string; error: unknown }[] = [];
    for (let entry = this.#stack.pop(); entry; entry = this.#stack.pop()) {
      onStep?.(entry.label);
      try {
        await entry.undo(outcome);
      } catch (error) {
        failures.push({ label: entry.label, error });
      }
    }
    return failures;
  }
}
