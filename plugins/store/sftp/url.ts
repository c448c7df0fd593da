/** What an sftp URL names: the login and the folder. */
export interface SftpUrl { user: string; host: string; port: number; path: string }

export const SFTP_URL_FORM = "sftp://user@host[:port]/path";

/**
 * Reads `sftp://user@host[:port]/path` (the IETF sftp URI form, as seed 004 writes it for
 * duplicity). The path is absolute (inside the chroot for a chrooted account); `/~/folder` is a
 * folder in the account's home. Returns why it is not such a URL, as a sentence, otherwise.
 */
export function parseSftpUrl(text: string): SftpUrl | string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return /^sftp:\/\/[^/]*:[^\d/]/.test(text)
      ? `'${text}' is not an sftp URL (host:folder is scp's form): write ${SFTP_URL_FORM}`
      : `'${text}' is not an sftp URL: write ${SFTP_URL_FORM}`;
  }
  const problem = url.protocol !== "sftp:" ? `it starts with ${url.protocol}//, not sftp://`
    : !url.username ? "it names no user (user@ before the host)"
    : url.password ? "it holds a password: give a key instead (identityFile, or agent: true)"
    : !url.hostname ? "it names no host"
    : url.search || url.hash ? "it has a ?query or #fragment"
    : url.pathname === "" || url.pathname === "/" || url.pathname === "/~" || url.pathname === "/~/" ? "it names no folder after the host"
    : "";
  if (problem) return `'${text}' is not a usable sftp URL: ${problem}; write ${SFTP_URL_FORM}`;
  const path = decodeURIComponent(url.pathname);
  return {
    user: decodeURIComponent(url.username),
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port ? Number(url.port) : 22,
    path: path.startsWith("/~/") ? path.slice(3) : path,
  };
}
