/**
 * Uploaded files for jobs, stored in the database in pieces of about CHUNK characters: an upload
 * is never held whole, a job streams it back piece by piece, and it is still there after a
 * restart (or on another server instance).
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { getDb } from '../db/index.ts';
import { jobInputs } from '../db/schema.ts';
import { TextFileDecoder } from '../formats/text-file.ts';

export const CHUNK = 512 * 1024;

/**
 * Stores text arriving in pieces (strings or UTF-8 bytes); returns its id and length in characters.
 * Bytes must be valid UTF-8 (formats/text-file.ts): otherwise nothing is kept and a TextFileError
 * names the line and byte of the first bad sequence; `name` names the file in its message.
 */
export async function storeInput({
  source,
  db,
  name,
}: {
  source: AsyncIterable<string | Uint8Array> | Iterable<string>;
  db?: Db;
  name?: string;
}): Promise<{ inputId: string; chars: number }> {
  const d = db ?? getDb();
  const inputId = randomUUID();
  try {
    return await storePieces(d, inputId, source, new TextFileDecoder(name ?? 'The file'));
  } catch (e) {
    await d.delete(jobInputs).where(eq(jobInputs.inputId, inputId));
    throw e;
  }
}

async function storePieces(
  d: Db,
  inputId: string,
  source: AsyncIterable<string | Uint8Array> | Iterable<string>,
  decoder: TextFileDecoder,
): Promise<{ inputId: string; chars: number }> {
  let buf = '';
  let seq = 0;
  let chars = 0;
  const flush = async (all: boolean) => {
    while (buf.length >= CHUNK || (all && buf.length)) {
      const piece = buf.slice(0, CHUNK);
      buf = buf.slice(piece.length);
      await d.insert(jobInputs).values({ inputId, seq: seq++, chunk: piece });
      chars += piece.length;
    }
  };
  for await (const part of source as AsyncIterable<string | Uint8Array>) {
    buf += typeof part === 'string' ? part : decoder.decode(part);
    if (buf.length >= CHUNK) await flush(false);
  }
  buf += decoder.end();
  await flush(true);
  return { inputId, chars };
}

/** Streams a stored input back, one piece per query. */
export async function* readInput({ inputId, db }: { inputId: string; db?: Db }): AsyncGenerator<string> {
  const d = db ?? getDb();
  let seq = -1;
  for (;;) {
    const [row] = await d
      .select({ seq: jobInputs.seq, chunk: jobInputs.chunk })
      .from(jobInputs)
      .where(and(eq(jobInputs.inputId, inputId), gt(jobInputs.seq, seq)))
      .orderBy(asc(jobInputs.seq))
      .limit(1);
    if (!row) return;
    seq = row.seq;
    yield row.chunk;
  }
}

export async function inputSize({ inputId, db }: { inputId: string; db?: Db }): Promise<{ chars: number; pieces: number }> {
  const [r] = await (db ?? getDb())
    .select({ chars: sql<number>`coalesce(sum(length(${jobInputs.chunk})), 0)::bigint`, pieces: sql<number>`count(*)::int` })
    .from(jobInputs)
    .where(eq(jobInputs.inputId, inputId));
  return { chars: Number(r.chars), pieces: Number(r.pieces) };
}

/** The whole input as one string (JSON manifests, which are parsed whole). */
export async function readInputText({ inputId, db }: { inputId: string; db?: Db }): Promise<string> {
  let s = '';
  for await (const c of readInput({ inputId, db })) s += c;
  return s;
}

export async function deleteInput({ inputId, db }: { inputId: string; db?: Db }): Promise<void> {
  await (db ?? getDb()).delete(jobInputs).where(eq(jobInputs.inputId, inputId));
}
