// Malformed (and oddly formed) messages kept as files under corpus/, one message per file in hex.
// Each goes through the receive path (Framer, then decodeMessage) and must either fail with a
// WireError carrying exactly the NOTIFICATION below, or decode as stated. Every file must have
// an entry here, so a new file cannot be forgotten.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WireError } from '../../src/wire/errors.js';
import { Framer } from '../../src/wire/framer.js';
import { decodeMessage, maxMessageSize, type MessageContext } from '../../src/wire/message.js';
import { DEFAULT_CODEC_CONTEXT, type BgpMessage } from '../../src/wire/types.js';
import { fromHex, toHex } from './hex.js';

const CORPUS = fileURLToPath(new URL('./corpus', import.meta.url));

interface Case {
  ctx?: Partial<MessageContext>;
  /** NOTIFICATION code/subcode the decoder must ask for */
  error?: [code: number, subcode: number];
  /** expected data in hex; 'message' = the complete message (RFC 7313 §5) */
  data?: string;
  /** the message decodes to this kind, or is ignored (null) */
  decodes?: BgpMessage['kind'] | 'ignored';
}

const EXPECTATIONS: Record<string, Case[]> = {
  // RFC 4271 §6.1 header errors
  'bad-marker': [{ error: [1, 1], data: '' }],
  'length-18': [{ error: [1, 2], data: '0012' }],
  'length-4097-without-extended-message': [{ error: [1, 2], data: '1001' }],
  'unknown-type-9': [{ error: [1, 3], data: '09' }],
  'keepalive-20-octets': [{ error: [1, 2], data: '0014' }],
  'notification-20-octets': [{ error: [1, 2], data: '0014' }],
  // OPEN (see src/wire/open.ts for the mapping)
  'open-truncated': [{ error: [1, 2], data: '001c' }],
  'open-bad-opt-param-length': [{ error: [1, 2], data: '0025' }],
  'open-extended-opt-param-bad-length': [{ error: [1, 2], data: '0029' }],
  'open-opt-param-overruns': [{ error: [2, 0] }],
  'open-unsupported-opt-param': [{ error: [2, 4], data: '0302abcd' }],
  'open-capability-as4-length-2': [{ error: [2, 0], data: '4102fde9' }],
  'open-capability-mp-length-3': [{ error: [2, 0], data: '0103000101' }],
  'open-capability-overruns-parameter': [{ error: [2, 0] }],
  'open-add-path-bad-send-receive': [{ decodes: 'open' }],
  'open-fqdn-bad-utf8': [{ decodes: 'open' }],
  // ROUTE-REFRESH, RFC 7313 §5
  'route-refresh-22-octets': [
    { error: [1, 2], data: '0016' },
    { ctx: { enhancedRouteRefresh: true }, error: [7, 1], data: 'message' },
  ],
  'route-refresh-borr-22-octets': [{ error: [7, 1], data: 'message' }],
  'route-refresh-reserved-subtype': [{ decodes: 'ignored' }, { ctx: { enhancedRouteRefresh: true }, decodes: 'ignored' }],
};

function receive(raw: Buffer, ctx: MessageContext): (BgpMessage | null)[] {
  const framer = new Framer({ maxMessageSize: maxMessageSize(2, ctx) });
  const messages = framer.push(raw);
  if (messages.length === 0) throw new Error(`framer still waits for ${framer.buffered} octets: fixture incomplete`);
  return messages.map((m) => decodeMessage(m, ctx));
}

const files = readdirSync(CORPUS)
  .filter((f) => f.endsWith('.hex'))
  .map((f) => f.slice(0, -'.hex'.length))
  .sort();

describe('wire corpus', () => {
  it('has an expectation for every file and a file for every expectation', () => {
    expect(files).toEqual(Object.keys(EXPECTATIONS).sort());
  });

  for (const name of files) {
    for (const c of EXPECTATIONS[name] ?? []) {
      const label = c.error ? `fails with ${c.error.join('/')}` : `decodes as ${c.decodes}`;
      it(`${name}${c.ctx ? ` ${JSON.stringify(c.ctx)}` : ''} ${label}`, () => {
        const raw = fromHex(readFileSync(join(CORPUS, `${name}.hex`), 'utf8'));
        const ctx: MessageContext = { ...DEFAULT_CODEC_CONTEXT, ...c.ctx };
        if (c.decodes !== undefined) {
          const [msg] = receive(raw, ctx);
          expect(msg === null ? 'ignored' : msg!.kind).toBe(c.decodes);
          return;
        }
        let error: unknown;
        try {
          receive(raw, ctx);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(WireError);
        const w = error as WireError;
        expect([w.notifCode, w.notifSubcode]).toEqual(c.error);
        if (c.data !== undefined) expect(toHex(w.data)).toBe(c.data === 'message' ? toHex(raw) : c.data);
      });
    }
  }
});
