import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest { method: string; path: string; body: string }

/**
 * A throwaway HTTP server on 127.0.0.1 that records every request (a healthchecks / Uptime Kuma /
 * ntfy stand-in). `failNext(n, status)` answers the next n requests with that status.
 */
export async function startHttpRecorder(): Promise<{ url: string; requests: RecordedRequest[]; failNext(n: number, status: number): void; stop(): Promise<void> }> {
  const requests: RecordedRequest[] = [];
  let failing = { n: 0, status: 500 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push({ method: req.method ?? "", path: req.url ?? "", body: Buffer.concat(chunks).toString("utf8") });
      if (failing.n > 0) {
        failing.n--;
        res.writeHead(failing.status).end("no");
      } else res.writeHead(200, { "content-type": "text/plain" }).end("OK");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext: (n, status) => { failing = { n, status }; },
    stop: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
