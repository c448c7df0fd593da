/**
 * Sizes of the files under a WebDAV folder as the server reports them (PROPFIND, depth 1,
 * folder by folder: Apache refuses depth infinity by default). Keys are paths relative to `url`.
 */
export async function serverSizes(url: string, authorization: string): Promise<Map<string, number>> {
  const base = new URL(url.endsWith("/") ? url : `${url}/`);
  const sizes = new Map<string, number>();
  const visit = async (folder: URL): Promise<void> => {
    const response = await fetch(folder, {
      method: "PROPFIND",
      headers: { Depth: "1", Authorization: authorization, "Content-Type": "application/xml" },
      body: '<?xml version="1.0"?><propfind xmlns="DAV:"><prop><resourcetype/><getcontentlength/></prop></propfind>',
    });
    if (response.status !== 207) throw new Error(`PROPFIND ${folder.pathname}: HTTP ${response.status}`);
    const xml = await response.text();
    for (const block of xml.split(/<(?:\w+:)?response[\s>]/).slice(1)) {
      const href = /<(?:\w+:)?href>([^<]+)</.exec(block)?.[1];
      if (!href) continue;
      const target = new URL(href, folder);
      if (target.pathname === folder.pathname) continue;
      if (/<(?:\w+:)?collection\s*\/>/.test(block)) await visit(target);
      else {
        const length = /<(?:\w+:)?getcontentlength>(\d+)</.exec(block)?.[1];
        sizes.set(decodeURIComponent(target.pathname.slice(base.pathname.length)), Number(length ?? -1));
      }
    }
  };
  await visit(base);
  return sizes;
}
