// Hex helpers for golden-byte tests: whitespace and `#` comments (to end of line) are ignored,
// so fixtures can be laid out field by field.

export function fromHex(text: string): Buffer {
  const clean = text.replace(/#[^\n]*/g, '').replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`bad hex fixture: ${clean.slice(0, 40)}`);
  return Buffer.from(clean, 'hex');
}

export function toHex(buf: Buffer): string {
  return buf.toString('hex');
}

/** The 16-octet all-ones marker. */
export const MARKER = 'ffffffffffffffffffffffffffffffff';
