/**
 * `npx truthline <command>`: a thin dispatcher. Each command lives in cli/commands/<name>.ts
 * and exports `run(args: string[]): Promise<number>` (the exit code).
 */
type Command = { summary: string; load?: () => Promise<{ run: (args: string[]) => Promise<number> }> };

export const commands: Record<string, Command> = {
  migrate: { summary: 'apply migrations', load: () => import('./commands/migrate.ts') },
  seed: { summary: 'seed [--reset]: the demo data', load: () => import('./commands/seed.ts') },
  users: { summary: 'users create --email E [--admin]: create an account', load: () => import('./commands/users.ts') },
  token: { summary: 'token create --user E --project SLUG: a personal API token', load: () => import('./commands/token.ts') },
  import: { summary: 'import cases|evidence|fhir --project SLUG FILE', load: () => import('./commands/import.ts') },
  export: { summary: 'export --project SLUG --format csv|jsonl|prov', load: () => import('./commands/export.ts') },
  release: { summary: 'release --project SLUG', load: () => import('./commands/release.ts') },
  agreement: { summary: 'agreement FILE [options]: statistics on a ratings CSV', load: () => import('./commands/agreement.ts') },
  mrmc: { summary: 'mrmc FILE [options]: ROC/MRMC reader-study analysis (OR, DBM) of a long CSV', load: () => import('./commands/mrmc.ts') },
  extract: { summary: 'extract --rules FILE REPORTS', load: () => import('./commands/extract.ts') },
  verify: { summary: 'replay every case, check invariants and hash chains', load: () => import('./commands/verify.ts') },
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
  const mod = await cmd.load();
  return mod.run(rest);
}
