// The SOAP call of the in-process benches (verify-session.ts, session-variables.ts): one request over
// real TLS on a keep-alive agent, as an application with its certificate or as a guest.
import https from 'node:https';
import type { RunningServer } from '../src/app/server.js';

export type Credentials = { readonly key: string; readonly cert: string };

export function soap(server: RunningServer, agent: https.Agent, body: string, credentials?: Credentials): Promise<string> {
  const envelope = `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>${body}</env:Body></env:Envelope>`;
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: server.soapPort,
        path: '/soap',
        method: 'POST',
        ca: server.services.ca.certificatePem,
        agent,
        ...credentials,
        headers: { 'Content-Type': 'application/soap+xml' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      },
    );
    req.on('error', reject);
    req.end(envelope);
  });
}

export const field = (xml: string, name: string): string => new RegExp(`<sso:${name}>([^<]*)</sso:${name}>`).exec(xml)?.[1] ?? '';
