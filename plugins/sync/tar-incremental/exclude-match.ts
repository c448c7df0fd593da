import { tarExcludes } from "./tar-args.js";

/**
 * tar's default matching for --exclude (unanchored, wildcards that match '/'): a pattern
 * excludes a path when it matches the path or any trailing part of it that starts at a '/'.
 * Member names start with "./", so a pattern "./x" can only match from the top.
 */
export function makeExcluder(patterns: string[]): (path: string) => boolean {
  const cleaned = tarExcludes(patterns);
  const anchored = cleaned.filter((p) => p.startsWith("./")).map((p) => globToRegex(p.slice(2)));
  const unanchored = cleaned.filter((p) => !p.startsWith("./")).map(globToRegex);
  return (path) => {
    if (anchored.some((re) => re.test(path))) return true;
    const parts = path.split("/");
    for (let i = 0; i < parts.length; i++) {
      const tail = parts.slice(i).join("/");
      if (unanchored.some((re) => re.test(tail))) return true;
    }
    return false;
  };
}

function globToRegex(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") out += ".*";
    else if (c === "?") out += ".";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end < 0) out += "\\[";
      else {
        out += `[${glob.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else if (c === "\\" && i + 1 < glob.length) out += escape(glob[++i]!);
    else out += escape(c);
  }
  return new RegExp(`^${out}$`, "s");
}

function escape(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
