const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Tar stores names as raw bytes. Valid UTF-8 decodes as usual; each byte that is not part of a
 * valid sequence becomes the lone surrogate U+DC00+byte (Python's "surrogateescape"). Such a
 * string cannot come out of valid UTF-8, so two different byte names never share a string and
 * `encodeName` gets the exact bytes back.
 */
export function decodeName(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return decodeEscaped(bytes);
  }
}

export function encodeName(name: string): Buffer {
  const parts: Buffer[] = [];
  let run = "";
  for (const ch of name) {
    const code = ch.codePointAt(0) ?? 0;
    if (code >= 0xdc80 && code <= 0xdcff) {
      if (run) parts.push(Buffer.from(run, "utf8"));
      run = "";
      parts.push(Buffer.of(code - 0xdc00));
    } else {
      run += ch;
    }
  }
  if (run) parts.push(Buffer.from(run, "utf8"));
  return Buffer.concat(parts);
}

function decodeEscaped(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  while (i < bytes.length) {
    const len = validSequenceLength(bytes, i);
    if (len === 0) {
      out += String.fromCharCode(0xdc00 + (bytes[i] ?? 0));
      i += 1;
    } else {
      out += strictUtf8.decode(bytes.subarray(i, i + len));
      i += len;
    }
  }
  return out;
}

/** Length of the valid UTF-8 sequence starting at `i`, 0 if none does. */
function validSequenceLength(b: Uint8Array, i: number): number {
  const b0 = b[i] ?? 0;
  if (b0 < 0x80) return 1;
  let len: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) len = 2;
  else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3;
    if (b0 === 0xe0) lo = 0xa0; // overlong
    if (b0 === 0xed) hi = 0x9f; // UTF-16 surrogates
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4;
    if (b0 === 0xf0) lo = 0x90; // overlong
    if (b0 === 0xf4) hi = 0x8f; // above U+10FFFF
  } else return 0;
  if (i + len > b.length) return 0;
  for (let k = 1; k < len; k++) {
    const c = b[i + k] ?? 0;
    const min = k === 1 ? lo : 0x80;
    const max = k === 1 ? hi : 0xbf;
    if (c < min || c > max) return 0;
  }
  return len;
}

/**
 * "./a/b/" -> "a/b", "./" -> ".", "a//b" -> "a/b". Only "" and "." components are dropped:
 * ".." is kept, since resolving it would change which file a name means.
 */
export function normalisePath(name: string): string {
  // Most names are already normal; splitting each of them shows in profiles of big trees.
  if (!NEEDS_NORMALISING.test(name)) return name;
  // tar writes "./a/b": drop the "./" when nothing else needs normalising.
  if (name.startsWith("./") && name.length > 2 && !NEEDS_NORMALISING.test(name.slice(2))) return name.slice(2);
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  return parts.length === 0 ? "." : parts.join("/");
}

const NEEDS_NORMALISING = /(^|\/)\.?(\/|$)/;

/** `dir` is normalised already; a plain name (the common case, every name of every dumpdir) needs no more. */
export function joinPath(dir: string, name: string): string {
  if (name !== "" && name !== "." && !name.includes("/")) return dir === "." ? name : `${dir}/${name}`;
  return dir === "." ? normalisePath(name) : normalisePath(`${dir}/${name}`);
}
