// Web services that answer badly (docs/SECURITY.md case E36), for the tests of a delegated source:
// one HTTPS server on 127.0.0.1 whose URL path picks the misbehaviour, a TCP listener that never
// starts TLS, and a closed port. The servers count their connections, so a test can check that the
// client left none open, and the 100 MB reply records how much it had written when the client went.
import { once } from 'node:events';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import type { ServerResponse } from 'node:http';
import { freePort } from './ports.js';
import type { ServerIdentity } from './testCa.js';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const LJ = 'urn:authentication.soap.ws.longjump.com';
const MB = 1024 * 1024;
export const HUGE_REPLY_BYTES = 100 * MB;

function envelope(body: string): string {
  return `<soapenv:Envelope xmlns:soapenv="${SOAP11}"><soapenv:Body>\n${body}\n</soapenv:Body></soapenv:Envelope>`;
}

/** The reply of a service that says yes. */
export const AUTHENTICATED_REPLY = envelope(
  `<LJAuthenticateResponse xmlns="${LJ}"><Status>Authenticated</Status></LJAuthenticateResponse>`,
);

const ENTITY_BOMB = [
  '<?xml version="1.0"?>',
  '<!DOCTYPE lolz [',
  '<!ENTITY lol "lol">',
  ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`),
  ']>',
  envelope(`<LJAuthenticateResponse xmlns="${LJ}"><Status>Authenticated&lol9;</Status></LJAuthenticateResponse>`),
].join('\n');

/** Replies that are whole documents, answered with 200 and text/xml. */
const DOCUMENTS = {
  ok: AUTHENTICATED_REPLY,
  doctype: `<?xml version="1.0"?>\n<!DOCTYPE soapenv:Envelope SYSTEM "https://127.0.0.1:1/evil.dtd">\n${AUTHENTICATED_REPLY}`,
  entityBomb: ENTITY_BOMB,
  wrongCase: envelope(`<LJAuthenticateResponse xmlns="${LJ}"><Status>authenticated</Status></LJAuthenticateResponse>`),
  foreignResponse: envelope(`<LJAuthenticateResponse xmlns="urn:example:other"><Status>Authenticated</Status></LJAuthenticateResponse>`),
  foreignStatus: envelope(
    `<lj:LJAuthenticateResponse xmlns:lj="${LJ}"><x:Status xmlns:x="urn:example:other">Authenticated</x:Status></lj:LJAuthenticateResponse>`,
  ),
  fault: envelope('<soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>Authenticated</faultstring></soapenv:Fault>'),
  notXml: 'Authenticated',
  empty: '',
} as const;

export type Misbehaviour = keyof typeof DOCUMENTS | 'huge' | 'hugeDeclared' | 'neverEnds' | 'drip' | 'redirect' | 'serverError';

export interface MisbehavingService {
  url(behaviour: Misbehaviour): string;
  /** The TCP connections the server holds now. */
  connections(): Promise<number>;
  /** How many body bytes the last 100 MB reply had handed to its socket when the connection closed; null before. */
  hugeWrittenAtClose(): number | null;
  stop(): Promise<void>;
}

function connectionsOf(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => server.getConnections((error, count) => (error === null ? resolve(count) : reject(error))));
}

/** Writes `total` bytes of whitespace inside an unfinished reply, as fast as the client takes them. */
function streamHuge(response: ServerResponse, total: number, onClose: (written: number) => void): void {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let written = 0;
  response.once('close', () => onClose(written));
  response.write(`<soapenv:Envelope xmlns:soapenv="${SOAP11}"><soapenv:Body><LJAuthenticateResponse xmlns="${LJ}"><Status>Authenticated`);
  const pump = (): void => {
    while (written < total && !response.destroyed) {
      written += chunk.length;
      if (!response.write(chunk)) {
        response.once('drain', pump);
        return;
      }
    }
    if (!response.destroyed) response.end('</Status></LJAuthenticateResponse></soapenv:Body></soapenv:Envelope>');
  };
  pump();
}

/** Headers, then one byte every 100 ms for as long as the client stays. */
function drip(response: ServerResponse): void {
  response.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8' });
  const timer = setInterval(() => response.write(' '), 100);
  response.once('close', () => clearInterval(timer));
}

export async function startMisbehavingService(identity: Pick<ServerIdentity, 'key' | 'cert'>): Promise<MisbehavingService> {
  let hugeWritten: number | null = null;
  const server = https.createServer({ key: identity.key, cert: identity.cert }, (request, response) => {
    request.resume();
    const behaviour = (request.url ?? '/').slice(1) as Misbehaviour;
    switch (behaviour) {
      case 'huge':
        response.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8' });
        streamHuge(response, HUGE_REPLY_BYTES, (written) => (hugeWritten = written));
        break;
      case 'hugeDeclared':
        response.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8', 'Content-Length': String(HUGE_REPLY_BYTES) });
        streamHuge(response, HUGE_REPLY_BYTES, () => undefined);
        break;
      case 'neverEnds':
        response.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8' });
        response.flushHeaders();
        break;
      case 'drip':
        drip(response);
        break;
      case 'redirect':
        response.writeHead(302, { Location: `https://127.0.0.1:${(server.address() as AddressInfo).port}/ok` }).end();
        break;
      case 'serverError':
        response.writeHead(500, { 'Content-Type': 'text/xml; charset=utf-8' }).end(DOCUMENTS.fault);
        break;
      default: {
        const document = Object.hasOwn(DOCUMENTS, behaviour) ? DOCUMENTS[behaviour] : null;
        if (document === null) response.writeHead(404).end();
        else response.writeHead(200, { 'Content-Type': behaviour === 'notXml' ? 'text/plain' : 'text/xml; charset=utf-8' }).end(document);
      }
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    url: (behaviour) => `https://127.0.0.1:${port}/${behaviour}`,
    connections: () => connectionsOf(server),
    hugeWrittenAtClose: () => hugeWritten,
    async stop() {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** A TCP listener that accepts and never says a word: the TLS handshake never ends. */
export async function startSilentListener(): Promise<{ url: string; connections(): Promise<number>; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.resume(); // reads (and ignores) the ClientHello, so the client's close is seen
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    connections: () => connectionsOf(server),
    async stop() {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** The URL of a loopback port nothing listens on: the connection is refused. */
export async function closedPortUrl(): Promise<string> {
  return `https://127.0.0.1:${await freePort()}/`;
}
