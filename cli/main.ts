/**
 * `npx truthline <command>`: a thin dispatcher. Each command lives in cli/commands/<name>.ts
 * and exports `run(args: string[]): Promise<number>` (the exit code).
 */
/** `help`: printed for `truthline <command> --help` (commands without it print their own). */
type Command = { summary: string; help?: string; load?: () => Promise<{ run: (args: string[]) => Promise<number> }> };

// Commands that open the database use the server's: the embedded one in TRUTHLINE_DATA_DIR
// (default ./data; stop the server first) or DATABASE_URL.
const DB_NOTE = "\nDatabase: DATABASE_URL, or the embedded database in TRUTHLINE_DATA_DIR (default ./data) — the same as the server's; stop an embedded server first.";

export const commands: Record<string, Command> = {
  migrate: {
    summary: 'apply migrations',
    help: `usage: truthline migrate\n\nApplies the database migrations (idempotent).${DB_NOTE}`,
    load: () => import('./commands/migrate.ts'),
  },
  seed: {
    summary: 'seed [--reset]: the demo data',
    help: `usage: truthline seed [--reset]\n\nLoads the demo projects and accounts (password truthline-demo); --reset empties the database first.${DB_NOTE}`,
    load: () => import('./commands/seed.ts'),
  },
  users: {
    summary: 'users create --email E [--admin]: create an account',
    help: `usage: truthline users create --email E [--name N] [--admin]\n\nCreates an account and prints a one-time password (changed at first sign-in).${DB_NOTE}`,
    load: () => import('./commands/users.ts'),
  },
  token: {
    summary: 'token create --user E --project SLUG: a personal API token',
    help: `usage: truthline token create --user EMAIL --project SLUG[,SLUG…] [--name NAME]\n\nPrints a personal API token once (Authorization: Bearer …).${DB_NOTE}`,
    load: () => import('./commands/token.ts'),
  },
  import: {
    summary: 'import cases|evidence|fhir --project SLUG FILE',
    help: `usage: truthline import cases --project SLUG FILE [--format csv|json] [--assign-splits TRAIN/VALIDATION/TEST]\n       truthline import evidence --project SLUG FILE\n       truthline import fhir --project SLUG FILE [--rules RULES.json] [--dry-run]\n\nAll or nothing: every problem is printed as FILE:LINE: field: message and nothing is written.${DB_NOTE}`,
    load: () => import('./commands/import.ts'),
  },
  export: {
    summary: 'export --project SLUG --format csv|jsonl|prov',
    help: `usage: truthline export --project SLUG --format csv|jsonl|prov [--out FILE]\n\nTruth with provenance to stdout or FILE (the complete export with the reads table is on the Export page).${DB_NOTE}`,
    load: () => import('./commands/export.ts'),
  },
  release: { summary: 'release --project SLUG', load: () => import('./commands/release.ts') },
  agreement: { summary: 'agreement FILE [options]: statistics on a ratings CSV', load: () => import('./commands/agreement.ts') },
  mrmc: { summary: 'mrmc FILE [options]: ROC/MRMC reader-study analysis (OR, DBM) of a long CSV', load: () => import('./commands/mrmc.ts') },
  extract: { summary: 'extract --rules FILE REPORTS', load: () => import('./commands/extract.ts') },
  verify: {
    summary: 'replay every case, check invariants and hash chains',
    help: `usage: truthline verify [--since] [--jobs N] [--case ID]…\n\nReplays every case from its events and checks snapshots, hash chains and invariants; exit 1 on any failure.${DB_NOTE}`,
    load: () => import('./commands/verify.ts'),
  },
};

function usage(): string {
  const rows = Object.entries(commands).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`);
  return `usage: truthline <command> [options]\n\n${rows.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const cmd = commands[name];
  if (!cmd) {
    process.stderr.write(`truthline: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (!cmd.load) {
    process.stderr.write(`truthline ${name}: not available yet\n`);
    return 2;
  }
  if (cmd.help && (rest.includes('--help') || rest.includes('-h'))) {
    process.stdout.write(`${cmd.help}\n`);
    return 0;
  }
  const mod = await cmd.load();
  return mod.run(rest);
}
