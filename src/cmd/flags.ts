// Command-line flags as data: one table drives parsing, defaults and `--help`.
// Later features add rows (named after Kubernetes' own flags, e.g. --node-monitor-grace-period).

export type FlagType = 'string' | 'int' | 'bool' | 'duration';

export interface FlagSpec {
  name: string;
  type: FlagType;
  default: string | number | boolean;
  description: string;
  /** Allowed values for a string flag. */
  choices?: string[];
}

export type FlagValues = Record<string, string | number | boolean>;

export class FlagError extends Error {
  override name = 'FlagError';
}

/** Parses Go-style durations ("40s", "1m30s", "500ms") into milliseconds. */
export function parseDuration(s: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(re)) {
    const n = Number(m[1]);
    total += n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    consumed += m[0].length;
  }
  if (consumed !== s.length || s.length === 0) throw new FlagError(`invalid duration "${s}"`);
  return total;
}

function convert(spec: FlagSpec, raw: string): string | number | boolean {
  switch (spec.type) {
    case 'int': {
      if (!/^-?\d+$/.test(raw)) throw new FlagError(`invalid value "${raw}" for flag --${spec.name}: must be an integer`);
      return Number(raw);
    }
    case 'bool':
      if (raw !== 'true' && raw !== 'false') throw new FlagError(`invalid value "${raw}" for flag --${spec.name}: must be true or false`);
      return raw === 'true';
    case 'duration':
      parseDuration(raw);
      return raw;
    case 'string':
      if (spec.choices && !spec.choices.includes(raw)) {
        throw new FlagError(`invalid value "${raw}" for flag --${spec.name}: must be one of ${spec.choices.join(', ')}`);
      }
      return raw;
  }
}

/** Parses `--name value`, `--name=value` and bare boolean flags. */
export function parseFlags(specs: FlagSpec[], argv: string[]): { values: FlagValues; help: boolean } {
  const values: FlagValues = {};
  for (const s of specs) values[s.name] = s.default;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--')) throw new FlagError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    const spec = specs.find((s) => s.name === name);
    if (!spec) throw new FlagError(`unknown flag: --${name}`);
    let raw: string;
    if (eq > 0) raw = arg.slice(eq + 1);
    else if (spec.type === 'bool') raw = 'true';
    else {
      if (i + 1 >= argv.length) throw new FlagError(`flag needs an argument: --${name}`);
      raw = argv[++i];
    }
    values[name] = convert(spec, raw);
  }
  return { values, help };
}

export function helpText(command: string, summary: string, specs: FlagSpec[]): string {
  const rows = specs.map((s) => {
    const left = `  --${s.name}${s.type === 'bool' ? '' : ' ' + (s.choices ? s.choices.join('|') : s.type.toUpperCase())}`;
    return `${left.padEnd(44)} ${s.description} (default ${JSON.stringify(s.default)})`;
  });
  return `Usage: kujira ${command} [flags]\n\n${summary}\n\nFlags:\n${rows.join('\n')}\n  --help${' '.repeat(38)} Show this help\n`;
}
