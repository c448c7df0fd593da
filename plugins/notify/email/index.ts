import { hostname, userInfo } from "node:os";
import { z } from "zod";
import { definePlugin } from "../../../core/config/define.js";
import type { Notifier, RunEvent } from "../../../core/types.js";
import { eventKinds, eventSubject, eventText } from "../events.js";

const PLUGIN_NAME = "notify:email";

const address = z.string().regex(/^[^\s<>@]+@[^\s<>@]+$/, "expected an email address like you@example.com");

export const emailOptions = z.strictObject({
  /** Who gets the mail. */
  to: z.union([address, z.array(address).min(1)]),
  /** Sender. @default "<user>@<host>" */
  from: address.optional(),
  /** Events to mail. @default ["failure"] */
  on: z.array(eventKinds).default(["failure"]),
});

/** Headers must not let a value start a new header. */
const oneLine = (text: string) => text.replace(/[\r\n]+/g, " ");

export function emailMessage(event: RunEvent, to: string[], from: string): string {
  return [
    `From: ${oneLine(from)}`,
    `To: ${to.map(oneLine).join(", ")}`,
    `Subject: ${oneLine(eventSubject(event))}`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    "Auto-Submitted: auto-generated",
    "",
    eventText(event),
  ].join("\n");
}

/**
 * Mails the outcome through the system's sendmail (`sendmail -t -i`, the message on stdin), as
 * cron's MAILTO would: any MTA that provides /usr/sbin/sendmail (exim, postfix, msmtp-mta).
 */
export const email = definePlugin(PLUGIN_NAME, emailOptions, (engine, options) => {
  const to = Array.isArray(options.to) ? options.to : [options.to];
  const notifier: Notifier = {
    description: `email to ${to.join(", ")}`,
    events: options.on,
    async send(event, io) {
      const from = options.from ?? `${userInfo().username}@${hostname()}`;
      await io.exec({ tool: "sendmail", args: ["-t", "-i"], input: emailMessage(event, to, from) });
    },
  };
  engine.hooks.notifiers.tap(PLUGIN_NAME, (list) => list.push(notifier));
  engine.hooks.requirements.tap(PLUGIN_NAME, (list) => {
    list.push({ tool: "sendmail", purpose: "mail notifications (any MTA's sendmail)", versionArgs: ["-bV"], versionPattern: /(\d+\.\d+)/, optional: true });
  });
});
