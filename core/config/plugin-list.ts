import { z } from "zod";
import type { Plugin } from "../types.js";
import { flattenPlugins } from "./define.js";

const isPlugin = (value: unknown): value is Plugin =>
  typeof value === "object" && value !== null && typeof (value as Plugin).apply === "function" && typeof (value as Plugin).name === "string";

/**
 * A list of plugins given as an option (a preset's `notify: [httpPing({...})]`): each element must
 * be a plugin, and each plugin's own options are checked here, so their problems are listed with
 * every other problem of the config, at their place (`notify[0].url`).
 */
export const pluginList = z.array(z.unknown()).superRefine((list, ctx) => {
  list.forEach((value, index) => {
    if (!value) return;
    if (!isPlugin(value)) {
      ctx.addIssue({ code: "custom", path: [index], message: "not a plugin (call it: httpPing({ url: ... }))", input: value });
      return;
    }
    const parsed = value.schema?.safeParse(value.options);
    for (const issue of parsed && !parsed.success ? parsed.error.issues : []) {
      ctx.addIssue({ ...issue, path: [index, ...issue.path] } as z.core.$ZodRawIssue);
    }
  });
}).transform((list) => flattenPlugins(list as Plugin[]));
