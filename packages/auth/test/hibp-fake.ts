import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for api.pwnedpasswords.com speaking its wire format: GET /range/<5 hex>
 * answers `SUFFIX:COUNT` lines (CRLF), padded with count-0 lines when Add-Padding is sent.
 * It records every path it was asked for, so a test can show only the prefix left the server.
 */
export async function startFakeHibp(breached: string[]) {
  const sha1 = (p: string) => createHash('sha1').update(p, 'utf8').digest('hex').toUpperCase();
  const byPrefix = new Map<string, string[]>();
  for (const p of breached) {
    const h = sha1(p);
    byPrefix.set(h.slice(0, 5), [...(byPrefix.get(h.slice(0, 5)) ?? []), `${h.slice(5)}:4242`]);
  }
  const requests: { path: string; padding: string | undefined }[] = [];
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '';
    const padding = req.headers['add-padding'] as string | undefined;
    requests.push({ path, padding });
    const prefix = /^\/range\/([0-9A-F]{5})$/.exec(path)?.[1];
    if (!prefix) {
      res.writeHead(400).end('The hash prefix was not in a valid format');
      return;
    }
    const lines = [...(byPrefix.get(prefix) ?? [])];
    // Some real-looking neighbours, and padding entries (count 0) as the service adds them.
    lines.push('0018A45C4D1DEF81644B54AB7F969B88D65:3', '00D4F6E8FA6EECAD2A3AA415EEC418D38EC:2');
    if (padding === 'true')
      for (let i = 0; i < 5; i++) lines.push(`${sha1(`pad${i}${prefix}`).slice(5)}:0`);
    res.writeHead(200, { 'content-type': 'text/plain' }).end(lines.join('\r\n'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    sha1,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
