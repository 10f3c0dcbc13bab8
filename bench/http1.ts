// One keep-alive HTTP/1.1 connection of the load generator, over TLS (with the application's client
// certificate) or plain TCP (the relay). Like autocannon it writes ready-made request bytes and
// reads only the status line, Content-Length and the bytes it was told to look for, so that the
// generator spends as little CPU as it can on its own side of a shared machine.
import net from 'node:net';
import tls from 'node:tls';
import type { ClientTls } from './protocol.js';

export interface Reply {
  readonly status: number;
  /** Head and body as latin1 text (the bench only looks for ASCII markers in it). */
  readonly text: string;
}

const HEAD_END = Buffer.from('\r\n\r\n');

export class Connection {
  readonly #socket: net.Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #pending: ((reply: Reply | Error) => void) | null = null;
  #closed: Error | null = null;
  readonly ready: Promise<void>;

  constructor(host: string, port: number, credentials?: ClientTls, localAddress?: string) {
    const from = localAddress === undefined ? {} : { localAddress };
    this.#socket =
      credentials === undefined
        ? net.connect({ host, port, noDelay: true, ...from })
        : tls.connect({ host, port, ca: credentials.ca, key: credentials.key, cert: credentials.cert, ...from });
    this.#socket.setNoDelay(true);
    this.ready = new Promise((resolve, reject) => {
      this.#socket.once(credentials === undefined ? 'connect' : 'secureConnect', () => resolve());
      this.#socket.once('error', reject);
    });
    // Awaited by whoever opens the connection; never an unhandled rejection when a sibling failed first.
    this.ready.catch(() => undefined);
    this.#socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#socket.on('error', (error) => this.#fail(error));
    this.#socket.on('close', () => this.#fail(new Error('connection closed by the server')));
  }

  /** 'TLSv1.3 TLS_AES_128_GCM_SHA256', or 'plain'. */
  describe(): string {
    if (!(this.#socket instanceof tls.TLSSocket)) return 'plain';
    return `${this.#socket.getProtocol() ?? '?'} ${this.#socket.getCipher().standardName}`;
  }

  /** Sends one request and resolves with its reply (one request in flight per connection). */
  send(request: Buffer): Promise<Reply> {
    if (this.#closed !== null) return Promise.reject(this.#closed);
    return new Promise((resolve, reject) => {
      this.#pending = (reply) => (reply instanceof Error ? reject(reply) : resolve(reply));
      this.#socket.write(request);
    });
  }

  close(): void {
    this.#closed ??= new Error('connection closed by the generator');
    this.#socket.destroy();
  }

  #fail(error: Error): void {
    this.#closed ??= error;
    const pending = this.#pending;
    this.#pending = null;
    pending?.(error);
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const headEnd = this.#buffer.indexOf(HEAD_END);
    if (headEnd === -1) return;
    const head = this.#buffer.toString('latin1', 0, headEnd);
    const length = contentLengthOf(head);
    const total = headEnd + 4 + length;
    if (this.#buffer.length < total) return;
    const text = this.#buffer.toString('latin1', 0, total);
    this.#buffer = this.#buffer.subarray(total);
    const pending = this.#pending;
    this.#pending = null;
    pending?.({ status: Number(head.slice(9, 12)), text });
  }
}

function contentLengthOf(head: string): number {
  const match = /\r\ncontent-length: *(\d+)/i.exec(head);
  return match === null ? 0 : Number(match[1]);
}

/** The bytes of one request; `body` null for a GET. */
export function requestBytes(method: string, path: string, headers: Readonly<Record<string, string>>, body: string | null): Buffer {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  if (body !== null) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body ?? ''}`, 'utf8');
}
