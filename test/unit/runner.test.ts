import { describe, expect, it } from "vitest";
import { Runner, formatCommand } from "../../core/runner.js";
import { Secret } from "../../core/secret.js";
import { redact } from "../../core/redact.js";

describe("the command runner", () => {
  it("feeds a secret on stdin, never in argv, and shows it masked", async () => {
    const secret = new Secret("hunter2-correct-horse", "test");
    const runner = new Runner();
    const spec = { tool: "sh", args: ["-c", "read x; test \"$x\" = hunter2-correct-horse && echo matched"], input: secret };
    expect((await runner.run(spec)).stdout.trim()).toBe("matched");
    expect(formatCommand(spec)).not.toContain("hunter2");
    expect(formatCommand(spec)).toContain("(secret on stdin)");
  });

  it("passes secrets on extra file descriptors (read from the descriptor, as gpg --passphrase-fd 3 does)", async () => {
    const secret = new Secret("fd-secret-value", "test");
    const result = await new Runner().run({ tool: "sh", args: ["-c", "cat <&3"], secretFds: [secret] });
    expect(result.stdout).toBe("fd-secret-value");
  });

  it("a failure carries the redacted argv, the exit code and the last lines of stderr", async () => {
    new Secret("s3cr3t-token-xyz", "test");
    const runner = new Runner();
    const failing = runner.run({ tool: "sh", args: ["-c", "echo line1 >&2; echo 'leaked s3cr3t-token-xyz' >&2; exit 7", "s3cr3t-token-xyz"] });
    const error = await failing.catch((e: Error) => e);
    expect(error).toMatchObject({ code: "COMMAND_FAILED" });
    const message = (error as Error).message;
    expect(message).toContain("exit code 7");
    expect(message).toContain("line1");
    expect(message).not.toContain("s3cr3t-token-xyz");
    expect(message).toContain("leaked ***");
  });

  it("says which tool is missing and how to install it", async () => {
    await expect(new Runner().run({ tool: "definitely-not-a-tool-ck", args: [] })).rejects.toMatchObject({ code: "TOOL_MISSING" });
  });

  it("uses configured tool paths", async () => {
    const runner = new Runner({ mytar: "/bin/echo" });
    expect((await runner.run({ tool: "mytar", args: ["hi"] })).stdout).toBe("hi\n");
  });

  it("a Secret never prints its value", () => {
    const secret = new Secret("another-secret-123", "test");
    expect(String(secret)).toBe("***");
    expect(JSON.stringify({ secret })).toBe('{"secret":"***"}');
    expect(redact("value=another-secret-123")).toBe("value=***");
  });
});
