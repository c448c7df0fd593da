import { shellQuote } from "../../../core/runner.js";
import type { Target } from "../../../core/types.js";
import { sshfsRecipeLine } from "../../transport/remote.js";
import { openArgv } from "./argv.js";
import type { LuksOptions } from "./options.js";

/**
 * The hand-made way in, for `cryptkeep recipe`: the server's folder by sshfs when there is one,
 * `cryptsetup open --readonly` with the key fed the way the config gives it, and a read-only
 * mount at ./backup; and the way out, in reverse order.
 */
export function luksRecipe(options: LuksOptions, job: string, image: string, transport: Target | undefined, resolve: (p: string) => string): { reach: string[]; leave: string[]; notes: string[] } {
  const mapping = `cryptkeep-${job}-recipe`;
  const file = transport?.ssh ? `./server/${image}` : image;
  const open = openArgv(file, mapping, { readOnly: true }).map(shellQuote).join(" ");
  const decode = options.keyEncoding === "base64" ? " | base64 -d" : "";
  const key = options.key;
  const feed = "file" in key
    ? (decode ? `base64 -d ${shellQuote(resolve(key.file))} | ` : `cat ${shellQuote(resolve(key.file))} | `)
    : "env" in key
      ? `printf %s "$${key.env}"${decode} | `
      : "command" in key
        ? `printf %s "$(${key.command})"${decode} | `
        : "";
  const openLine = "prompt" in key ? `cryptsetup ${open.replace(" --key-file -", "")}   # asks for the key` : `${feed}cryptsetup ${open}`;
  return {
    reach: [
      ...(transport?.ssh ? ["mkdir -p ./server", sshfsRecipeLine(transport.ssh, "./server")] : []),
      openLine,
      `mount -o ro,noload /dev/mapper/${mapping} ./backup`,
    ],
    leave: ["umount ./backup", `cryptsetup close ${mapping}`, ...(transport?.ssh ? ["fusermount -u ./server || { sleep 2; fusermount -u ./server; }"] : []), "rmdir ./backup"],
    notes: [
      `The files are inside the LUKS container ${file} (${options.format.type}), in an ext4 filesystem; run these commands as root (cryptsetup and mount need it).`,
      ...(options.headerBackup ? [`If the header is damaged (cryptsetup says it is not a LUKS device): cryptsetup luksHeaderRestore ${shellQuote(file)} --header-backup-file ${shellQuote(resolve(options.headerBackup))}`] : []),
    ],
  };
}
