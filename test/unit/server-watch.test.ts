import { afterEach, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:net";
import { spawn } from "node:child_process";
import { mountDaemonPid, reachable, watchGivesUpWithinMs, watchServer } from "../../plugins/transport/server-watch.js";

const servers: Server[] = [];
afterEach(async () => { for (const server of servers.splice(0)) await new Promise((r) => server.close(r)); });

/** A TCP server on 127.0.0.1 that accepts and closes connections; resolves with its port. */
async function listen(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.destroy());
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, port: (server.address() as { port: number }).port };
}

/** A port nothing listens on: one that was free a moment ago. */
async function closedPort(): Promise<number> {
  const { server, port } = await listen();
  await new Promise((r) => server.close(r));
  servers.splice(servers.indexOf(server), 1);
  return port;
}

describe("server watch: how a run notices that the server under its mount is gone", () => {
  it("reachable: undefined for a listening port, the reason for a closed one", async () => {
    const { port } = await listen();
    expect(await reachable("127.0.0.1", port, 2000)).toBeUndefined();
    expect(await reachable("127.0.0.1", await closedPort(), 2000)).toBe("ECONNREFUSED");
  });

  it("calls onLost once, after the set number of failed checks in a row, naming the address", async () => {
    const port = await closedPort();
    const reasons: string[] = [];
    const started = Date.now();
    const lost = new Promise<void>((resolve) => {
      watchServer({ host: "127.0.0.1", port, connectTimeoutMs: 1000, everyMs: 50, failuresInARow: 3, onLost: (reason) => { reasons.push(reason); resolve(); } });
    });
    await lost;
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    await new Promise((r) => setTimeout(r, 300));
    expect(reasons).toEqual([`127.0.0.1:${port} refused 3 checks in a row (ECONNREFUSED)`]);
  });

  it("never calls onLost while the server answers, and not after it is stopped", async () => {
    const { server, port } = await listen();
    let lost = 0;
    const stop = watchServer({ host: "127.0.0.1", port, connectTimeoutMs: 1000, everyMs: 20, failuresInARow: 2, onLost: () => { lost++; } });
    await new Promise((r) => setTimeout(r, 300));
    expect(lost).toBe(0);
    stop();
    await new Promise((r) => server.close(r));
    servers.splice(servers.indexOf(server), 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(lost).toBe(0);
  });

  it("a failed check followed by one that succeeds starts the count again", async () => {
    const port = await closedPort();
    let lost = 0;
    const stop = watchServer({ host: "127.0.0.1", port, connectTimeoutMs: 1000, everyMs: 100, failuresInARow: 3, onLost: () => { lost++; } });
    // About two failed checks, then the server is back on the same port.
    await new Promise((r) => setTimeout(r, 230));
    const server = createServer((socket) => socket.destroy());
    servers.push(server);
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    await new Promise((r) => setTimeout(r, 600));
    stop();
    expect(lost).toBe(0);
  });

  it("an onLost that throws does not become an unhandled rejection (vitest fails the run on one)", async () => {
    const port = await closedPort();
    let called = 0;
    await new Promise<void>((resolve) => {
      watchServer({ host: "127.0.0.1", port, connectTimeoutMs: 1000, everyMs: 20, failuresInARow: 1, onLost: () => { called++; setTimeout(resolve, 100); throw new Error("ESRCH"); } });
    });
    expect(called).toBe(1);
  });

  it("the bound it promises covers every check timing out", () => {
    expect(watchGivesUpWithinMs({ connectTimeoutMs: 5000, everyMs: 2000, failuresInARow: 3 })).toBe(21_000);
  });

  it("finds a daemon's pid by its name and the mount point on its command line", async () => {
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)", "/some/mount point"]);
    try {
      await new Promise((r) => child.once("spawn", r));
      expect(await mountDaemonPid("node", "/some/mount point")).toBe(child.pid);
      expect(await mountDaemonPid("node", "/other/mount")).toBeUndefined();
      expect(await mountDaemonPid("s3fs", "/some/mount point")).toBeUndefined();
    } finally {
      child.kill();
    }
  });
});
