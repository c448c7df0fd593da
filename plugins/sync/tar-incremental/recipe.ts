import type { Cipher, Recipe, SnapshotInfo } from "../../../core/types.js";
import { compressionExt, recipeDecompress, type Compression } from "./compression.js";
import { manifestName, snapshotPrefix } from "./layout.js";
import { shellQuote } from "../../../core/runner.js";

/**
 * The manual restore, with gpg and GNU tar only: decrypt each volume in order, concatenate,
 * (decompress,) and extract with --listed-incremental=/dev/null, full first, so deletions replay.
 */
export function tarRecipe(recipe: Recipe, opts: { cipher: Cipher; targetDescription: string; targetPath?: string; chain: SnapshotInfo[]; compression: Compression }): Recipe {
  const { cipher, chain } = opts;
  const decompress = recipeDecompress(opts.compression);
  const ids = chain.map((s) => s.id);
  const volumes = (id: string) => `${snapshotPrefix(id)}vol-*.tar${compressionExt(opts.compression)}${cipher.extension}`;
  const restoreLine = (id: string) =>
    [`for v in ${volumes(id)}; do ${cipher.recipeDecrypt('"$v"')} || exit 1; done`, ...(decompress ? [decompress] : []), "tar --extract --listed-incremental=/dev/null --file=- --directory=\"$OUT\""].join(" \\\n    | ");
  return {
    title: recipe.title,
    notes: [
      ...recipe.notes,
      `The backup is in ${opts.targetDescription}. Each snapshot folder holds volumes (vol-00001, vol-00002, ...) that are one tar stream, split, each an OpenPGP message.`,
      "Restore the chain in order, full first: each incremental replays changes, deletions and renames onto the previous state.",
      "Volume names sort in order, so the shell's * expands them in the right order.",
      `To see what a snapshot holds (files, sizes, SHA-256; a full lists every file, an incremental what changed since its parent and, under "delta", what was deleted): ${cipher.recipeDecrypt(manifestName("<id>", cipher.extension))} | less`,
      ...(ids.length === 0 ? ["There is no complete snapshot yet: run a backup first. The commands below use <id> placeholders."] : []),
    ],
    commands: [
      ...recipe.commands,
      ...cipher.recipeSetup(),
      ...(opts.targetPath ? [`cd ${shellQuote(opts.targetPath)}`] : []),
      "OUT=\"$HOME/restored\"; mkdir -p \"$OUT\"   # an empty folder",
      ...(ids.length ? ids : ["<full id>", "<incremental id>..."]).map((id, i) => `# ${i === 0 ? "full" : "incremental"} ${id}\n${restoreLine(id)}`),
    ],
  };
}
