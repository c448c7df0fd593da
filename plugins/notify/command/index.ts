import { z } from "zod";
import { definePlugin } from "../../../core/config/define.js";
import type { Notifier } from "../../../core/types.js";
import { eventEnv, eventKinds, eventText } from "../events.js";

const PLUGIN_NAME = "notify:command";

export const notifyCommandOptions = z.strictObject({
  /** Run with `sh -c`; the run is in CRYPTKEEP_EVENT, _JOB, _STATE, _EXIT_CODE, _SNAPSHOT, _MESSAGE, _LOG_TAIL; the text on stdin. */
  command: z.string().min(1),
  /** Events to run it for. @default ["success", "failure", "skipped"] */
  on: z.array(eventKinds).default(["success", "failure", "skipped"]),
});

/** Runs any command on each event (a chat webhook script, `logger`, a desktop notification). */
export const notifyCommand = definePlugin(PLUGIN_NAME, notifyCommandOptions, (engine, options) => {
  const notifier: Notifier = {
    description: `command '${options.command}'`,
    events: options.on,
    async send(event, io) {
      await io.exec({ tool: "sh", args: ["-c", options.command], env: eventEnv(event), input: eventText(event) });
    },
  };
  engine.hooks.notifiers.tap(PLUGIN_NAME, (list) => list.push(notifier));
});
