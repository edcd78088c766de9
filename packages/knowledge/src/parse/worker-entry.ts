/**
 * Runs inside a parser worker thread: parses and chunks one file per message, so a
 * pathological document (a parser loop, a decompression bomb) costs a thread that can be
 * killed, not the server.
 */
import { parentPort } from 'node:worker_threads';
import { chunkBlocks } from '../chunk.ts';
import { ParseError } from '../errors.ts';
import { parseFile } from './index.ts';

parentPort?.on('message', async (task: { id: number; bytes: Uint8Array; fileName: string }) => {
  try {
    const parsed = await parseFile(task.bytes, task.fileName);
    const pages = parsed.blocks.reduce((max, b) => Math.max(max, b.page ?? 0), 0);
    parentPort?.postMessage({
      id: task.id,
      ok: true,
      type: parsed.type,
      pages,
      chunks: chunkBlocks(parsed.blocks),
    });
  } catch (error) {
    // Parsing is deterministic: any failure (a parser's own stack overflow on a giant
    // paragraph, say) would fail again on retry, so it fails the document now, with a reason.
    parentPort?.postMessage(
      error instanceof ParseError
        ? { id: task.id, ok: false, reason: error.reason, message: error.message }
        : {
            id: task.id,
            ok: false,
            reason: 'corrupt',
            message: `The file could not be read (${error instanceof Error ? error.message : String(error)})`,
          },
    );
  }
});
