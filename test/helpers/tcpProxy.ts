// A TCP proxy on the loopback address for tests of a network that stalls or breaks between a node
// and PostgreSQL: it forwards every connection to the target, and can stop forwarding (the bytes
// wait, as on a network that pauses), forward again, or cut every connection.
import net from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Stops forwarding in both directions on every connection, present and future. */
  pause(): void;
  resume(): void;
  /** Cuts every connection open now (each side sees it closed). */
  cut(): void;
  close(): Promise<void>;
}

/** Starts a proxy to host:port. */
export async function startTcpProxy(host: string, port: number): Promise<TcpProxy> {
  const pairs = new Set<readonly [net.Socket, net.Socket]>();
  let paused = false;
  const forward = ([inbound, outbound]: readonly [net.Socket, net.Socket]): void => {
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  };
  // Unpiped and paused, a socket keeps what arrives in its buffer until it is piped again.
  const hold = ([inbound, outbound]: readonly [net.Socket, net.Socket]): void => {
    inbound.unpipe(outbound);
    outbound.unpipe(inbound);
    inbound.pause();
    outbound.pause();
  };
  const server = net.createServer((inbound) => {
    const outbound = net.connect(port, host);
    const pair = [inbound, outbound] as const;
    pairs.add(pair);
    if (!paused) forward(pair);
    const drop = (): void => {
      pairs.delete(pair);
      inbound.destroy();
      outbound.destroy();
    };
    for (const socket of pair) {
      socket.on('error', drop);
      socket.on('close', drop);
    }
  });
  const cut = (): void => {
    for (const [inbound, outbound] of pairs) {
      inbound.destroy();
      outbound.destroy();
    }
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    pause() {
      if (paused) return;
      paused = true;
      for (const pair of pairs) hold(pair);
    },
    resume() {
      // Piped twice, a connection would forward every byte twice.
      if (!paused) return;
      paused = false;
      for (const pair of pairs) forward(pair);
    },
    cut,
    close() {
      cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
