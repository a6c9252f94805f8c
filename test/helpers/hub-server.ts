// Pieces of a local stand-in for the Hugging Face Hub's HTTP API, shared by the download tests
// (models and datasets): how a file is served (with the headers @huggingface/hub reads), 404s, listening.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Serves one file as /resolve/ does: ETag, X-Repo-Commit, and the 1-byte range probe. */
export function sendHubFile(req: IncomingMessage, res: ServerResponse, body: Uint8Array, etag: string, commit: string): void {
  res.setHeader('ETag', `"${etag}"`);
  res.setHeader('X-Repo-Commit', commit);
  res.setHeader('Accept-Ranges', 'bytes');
  if (req.headers.range === 'bytes=0-0') {
    res.writeHead(206, { 'Content-Range': `bytes 0-0/${body.length}`, 'Content-Length': '1' });
    res.end(body.subarray(0, 1));
    return;
  }
  res.writeHead(200, { 'Content-Length': String(body.length) });
  res.end(body);
}

/** The Hub's 404 for a missing file (EntryNotFound) or repository (RepoNotFound). */
export function sendHubNotFound(res: ServerResponse, entry: boolean): void {
  res.writeHead(404, { 'Content-Type': 'application/json', 'X-Error-Code': entry ? 'EntryNotFound' : 'RepoNotFound' });
  res.end(JSON.stringify({ error: 'Repository not found' }));
}

/** Listens on a random loopback port; returns the endpoint URL. */
export async function listenLoopback(server: Server): Promise<string> {
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export interface HubServer {
  server: Server;
  endpoint: string;
  /** "METHOD /path" per request, " (range)" added for range probes. */
  requests: string[];
}

/** A loopback server that logs each request and hands its decoded path to `route`. */
export async function startHubServer(route: (req: IncomingMessage, res: ServerResponse, path: string) => void): Promise<HubServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname);
    requests.push(`${req.method} ${path}${req.headers.range ? ' (range)' : ''}`);
    route(req, res, path);
  });
  return { server, endpoint: await listenLoopback(server), requests };
}

/** The file downloads among logged requests (range probes excluded). */
export const downloadsOf = (requests: readonly string[]): string[] =>
  requests.filter((r) => r.startsWith('GET') && r.includes('/resolve/') && !r.endsWith('(range)'));
