import { describe, expect, it } from "vitest";
import { Engine } from "../../core/engine.js";
import { definePlugin } from "../../core/config/define.js";
import { Logger } from "../../core/log.js";
import { runSession, type SessionSettings } from "../../core/session.js";
import { z } from "zod";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fake plugin that records what it acquires and releases, in order. */
function recorder(events: string[], name: string, fail?: "acquire" | "release") {
  return definePlugin(name, z.object({}), (engine) => {
    engine.hooks.connect.tapPromise(name, async (ctx) => {
      events.push(`acquire ${name}`);
      if (fail === "acquire") throw new Error(`${name} could not be acquired`);
      ctx.defer(`release ${name}`, () => {
        events.push(`release ${name}`);
        if (fail === "release") throw new Error(`${name} would not let go`);
      });
    });
  })({});
}

function settings(overrides: Partial<SessionSettings> = {}): SessionSettings {
  return {
    command: "backup", options: {}, log: new Logger("error", () => undefined),
    cacheRoot: mkdtempSync(join(tmpdir(), "ck-unit-")), tools: {}, lock: true, connect: true, ...overrides,
  };
}

function engineWith(...plugins: ReturnType<typeof recorder>[]): Engine {
  const engine = new Engine("job", "/");
  for (const plugin of plugins) engine.use(plugin, {});
  return engine;
}

describe("session lifecycle", () => {
  it("unwinds in reverse order after success", async () => {
    const events: string[] = [];
    const engine = engineWith(recorder(events, "a"), recorder(events, "b"));
    await runSession(engine, settings(), async () => void events.push("body"));
    expect(events).toEqual(["acquire a", "acquire b", "body", "release b", "release a"]);
  });

  it("unwinds after a failing body and rethrows the body's error", async () => {
    const events: string[] = [];
    const engine = engineWith(recorder(events, "a"), recorder(events, "b"));
    await expect(runSession(engine, settings(), async () => { throw new Error("sync broke"); })).rejects.toThrow("sync broke");
    expect(events).toEqual(["acquire a", "acquire b", "release b", "release a"]);
  });

  it("never undoes what was never done", async () => {
    const events: string[] = [];
    const engine = engineWith(recorder(events, "a"), recorder(events, "b", "acquire"), recorder(events, "c"));
    await expect(runSession(engine, settings(), async () => void events.push("body"))).rejects.toThrow("b could not be acquired");
    expect(events).toEqual(["acquire a", "acquire b", "release a"]);
  });

  it("a failing undo neither stops the others nor hides the original error", async () => {
    const events: string[] = [];
    const lines: string[] = [];
    const engine = engineWith(recorder(events, "a"), recorder(events, "b", "release"));
    const run = runSession(engine, settings({ log: new Logger("error", (l) => lines.push(l)) }), async () => { throw new Error("original"); });
    await expect(run).rejects.toThrow("original");
    expect(events).toEqual(["acquire a", "acquire b", "release b", "release a"]);
    expect(lines.join("\n")).toContain("b would not let go");
  });

  it("reports a failing undo as the error when the run itself succeeded", async () => {
    const events: string[] = [];
    const engine = engineWith(recorder(events, "a", "release"));
    await expect(runSession(engine, settings(), async () => "ok")).rejects.toMatchObject({ code: "TEARDOWN_FAILED" });
  });

  it("SIGINT aborts the run, unwinds, and reports an interruption (exit 130)", async () => {
    const events: string[] = [];
    const engine = engineWith(recorder(events, "a"), recorder(events, "b"));
    const run = runSession(engine, settings(), async (ctx) => {
      events.push("body");
      process.emit("SIGINT", "SIGINT");
      expect(ctx.signal.aborted).toBe(true);
      events.push("noticed abort");
    });
    await expect(run).rejects.toMatchObject({ code: "INTERRUPTED", exitCode: 130 });
    expect(events).toEqual(["acquire a", "acquire b", "body", "noticed abort", "release b", "release a"]);
  });

  it("after SIGINT, the undo steps' own commands still run to their end (a real sh)", async () => {
    const undone: string[] = [];
    const engine = new Engine("job", "/");
    engine.use(definePlugin("mounter", z.object({}), (e) => {
      e.hooks.connect.tapPromise("mounter", async (ctx) => {
        ctx.defer("unmount", async () => {
          undone.push((await ctx.exec({ tool: "sh", args: ["-c", "sleep 0.3; echo unmounted"] })).stdout.trim());
        });
      });
    })({}), {});
    const run = runSession(engine, settings(), async () => {
      process.emit("SIGINT", "SIGINT");
    });
    await expect(run).rejects.toMatchObject({ code: "INTERRUPTED", exitCode: 130 });
    expect(undone).toEqual(["unmounted"]);
  });

  it("holds the job lock during the run and reports a second run as locked (exit 3)", async () => {
    const shared = settings();
    const engine = engineWith();
    await runSession(engine, shared, async () => {
      await expect(runSession(engine, shared, async () => undefined)).rejects.toMatchObject({ code: "LOCKED", exitCode: 3 });
    });
    await expect(runSession(engine, shared, async () => "again")).resolves.toMatchObject({ result: "again" });
  });

  it("plan mode records commands instead of running them, secrets masked", async () => {
    const engine = engineWith();
    const { plan } = await runSession(engine, settings({ dryRun: true }), async (ctx) => {
      ctx.step("archive");
      await ctx.exec({ tool: "rm", args: ["-rf", "/definitely/not/run"] });
    });
    expect(plan).toEqual([
      { kind: "step", text: expect.stringMatching(/^take the lock of job 'job' \(.*\/job\/lock\)$/) },
      { kind: "step", text: "archive" },
      { kind: "command", text: "rm -rf /definitely/not/run" },
    ]);
  });
});
