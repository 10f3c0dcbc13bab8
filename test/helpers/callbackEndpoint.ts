// A real HTTPS endpoint for On Session Start callbacks (docs/groups.md), on 127.0.0.1 with a
// certificate of a test CA: it records every request it receives (path, headers, body) and answers
// each path as the test tells it, well or in one of the ways an endpoint can fail or be hostile.
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ServerIdentity } from './testCa.js';

/** How a path answers. */
export type Behaviour =
  | { readonly kind: 'ok'; readonly variables?: Readonly<Record<string, string>> }
  | { readonly kind: 'status'; readonly status: number }
  /** Holds the request until released (or the endpoint closes). */
  | { readonly kind: 'hold' }
  | { readonly kind: 'huge'; readonly bytes: number }
  | { readonly kind: 'redirect' }
  | { readonly kind: 'invalidJson' };

export interface ReceivedCall {
  readonly path: string;
  readonly contentType: string;
  readonly body: string;
}

export interface CallbackEndpoint {
  readonly port: number;
  /** `https://127.0.0.1:<port>/<name>`. */
  url(name: string): string;
  answer(name: string, behaviour: Behaviour): void;
  /** Every request received so far, in order. */
  received(): readonly ReceivedCall[];
  /** The requests received on one path. */
  receivedOn(name: string): readonly ReceivedCall[];
  /** Answers the held requests with 200 (their callers may have given up already). */
  release(): void;
  close(): Promise<void>;
}

export async function startCallbackEndpoint(identity: ServerIdentity): Promise<CallbackEndpoint> {
  const behaviours = new Map<string, Behaviour>();
  const calls: ReceivedCall[] = [];
  const held = new Set<() => void>();
  const server = https.createServer({ key: identity.key, cert: identity.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const name = (req.url ?? '/').slice(1);
      calls.push({ path: name, contentType: req.headers['content-type'] ?? '', body: Buffer.concat(chunks).toString('utf8') });
      const behaviour = behaviours.get(name) ?? { kind: 'ok' };
      switch (behaviour.kind) {
        case 'ok':
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ variables: behaviour.variables ?? {} }));
          return;
        case 'status':
          res.writeHead(behaviour.status, { 'Content-Type': 'text/plain' });
          res.end('no\n');
          return;
        case 'hold': {
          const free = (): void => {
            held.delete(free);
            if (!res.writableEnded && !res.destroyed) {
              res.writeHead(200, { 'Content-Type': 'application/json' });
              res.end('{}');
            }
          };
          held.add(free);
          return;
        }
        case 'huge':
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ variables: { filler: 'x'.repeat(behaviour.bytes) } }));
          return;
        case 'redirect':
          res.writeHead(302, { Location: 'https://127.0.0.1:1/elsewhere' });
          res.end();
          return;
        case 'invalidJson':
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end('{"variables": {');
          return;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (name) => `https://127.0.0.1:${port}/${name}`,
    answer: (name, behaviour) => behaviours.set(name, behaviour),
    received: () => [...calls],
    receivedOn: (name) => calls.filter((call) => call.path === name),
    release() {
      for (const free of [...held]) free();
    },
    async close() {
      for (const free of [...held]) free();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
