import { shellQuote } from "../../../core/runner.js";
import type { FolderCipher, Recipe, Target } from "../../../core/types.js";
import { sshfsRecipeLine } from "../../transport/remote.js";
import { FILES, VERSIONS } from "./layout.js";
import type { RsyncOptions } from "./options.js";

/**
 * The manual restore with standard tools: reach the target (sshfs, as seed 001 does, for a
 * server), open it through the folder cipher's own tool, copy out, unmount in reverse order.
 */
export function rsyncRecipe(recipe: Recipe, target: Target, options: RsyncOptions, cipher: FolderCipher | undefined): Recipe {
  const ssh = target.ssh;
  const reach = target.recipe
    ? ["mkdir -p ./backup ./decrypted \"$OUT\"", ...target.recipe.reach]
    : ssh
      ? ["mkdir -p ./backup ./decrypted \"$OUT\"", sshfsRecipeLine(ssh, "./backup")]
      : ["mkdir -p ./decrypted \"$OUT\"", `ln -sfn ${shellQuote(target.localPath ?? "<target folder>")} ./backup`];
  const tree = options.layout === "versioned" ? `./backup/${FILES}` : `./backup/${options.name}.<newest time>`;
  const open = cipher ? cipher.recipeMount(tree, "./decrypted") : [];
  const copyFrom = cipher ? "./decrypted" : tree;
  const leave = target.recipe?.leave ?? (ssh ? ["fusermount -u ./backup || { sleep 2; fusermount -u ./backup; }   # busy for a moment after the line above"] : ["rm ./backup"]);
  const close = [...(cipher ? ["fusermount -u ./decrypted"] : []), ...leave];
  return {
    title: recipe.title,
    notes: [
      ...recipe.notes,
      `The backup is at ${target.description}.`,
      ...(target.recipe?.notes ?? []),
      options.layout === "versioned"
        ? `${FILES}/ mirrors the source as of the last backup${cipher ? ", encrypted file by file by gocryptfs" : ""}; ${VERSIONS}/<UTC time>/ holds, as they were, the files that the run at that time changed or deleted.`
        : `Each ${options.name}.<UTC time>/ folder is a complete copy of the source (unchanged files are hard links).`,
      ...(options.layout === "versioned"
        ? [`For an older state: copy ${FILES}/ to a folder, then copy over it the ${VERSIONS}/<time>/ folders newer than the time you want, newest first${cipher ? `, and mount that folder with ${cipher.description} instead of ${FILES}` : ""}.`]
        : []),
      ...(cipher ? ["gocryptfs asks for the password (or reads it from stdin). Without gocryptfs.conf (kept in files/ and in the copy you keep elsewhere) and the password, nothing can be decrypted."] : []),
    ],
    commands: [...recipe.commands, "OUT=\"$HOME/restored\"   # an empty folder", ...reach, ...open, `cp -a ${copyFrom}/. "$OUT"/`, ...close],
  };
}
