// Reads and validates a config file. Errors name the file, the field path and what was wrong.
import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type * as z from './zod.js';
import { configSchema, type WrenConfig } from './schema.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'config-invalid';
  constructor(
    readonly file: string,
    /** one line per problem: "peers[0].asn: must be ..." */
    readonly problems: string[],
  ) {
    super(`${file}: invalid configuration\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(top level)';
}

function zodProblems(err: z.core.$ZodError): string[] {
  return err.issues.map((i) => {
    if (i.code === 'unrecognized_keys') return `${formatPath(i.path)}: unknown field(s) ${i.keys.map((k) => `"${k}"`).join(', ')}`;
    return `${formatPath(i.path)}: ${i.message}`;
  });
}

export function parseConfig(text: string, file: string): WrenConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (e) {
    const msg = e instanceof YAMLParseError ? e.message.split('\n')[0]! : String(e);
    throw new ConfigError(file, [`not valid YAML: ${msg}`]);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(file, ['(top level): must be a mapping of settings']);
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(file, zodProblems(result.error));
  return result.data;
}

export function loadConfig(file: string): WrenConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(file, [`cannot read file (${code})`]);
  }
  return parseConfig(text, file);
}
