import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { messages } from "./messages.js";

/** Asks on the terminal without echoing the answer. */
export async function promptHidden(question: string): Promise<string> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) throw messages.secretNoTerminal(question);
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, callback) {
      if (!muted) process.stderr.write(chunk);
      callback();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    const answer = new Promise<string>((resolve) => rl.question(`${question}: `, resolve));
    muted = true;
    return await answer;
  } finally {
    rl.close();
    process.stderr.write("\n");
  }
}
