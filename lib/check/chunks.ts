/**
 * Which chunks of a file get hashed (pure). A chunk is `blockSize * count` bytes; chunk N
 * starts at byte N * chunkSize and the last one may be short. With `skip` S, one chunk is
 * hashed and then S are skipped, and the count of chunks still to skip runs on into the next
 * file of a tree, exactly as zfs-check 3.3 samples them, so both tools print the same lines.
 */

/** How a target is cut into chunks and sampled. */
export interface ChunkOptions {
  /** Read block size in bytes (upstream's --block-size). */
  blockSize: number;
  /** Blocks per chunk (upstream's --count). */
  count: number;
  /** Chunks skipped after each hashed one (upstream's --skip). */
  skip: number;
}

/** Upstream's defaults: 4096-byte blocks, 25600 of them (100 MiB chunks), no skipping. */
export const DEFAULT_CHUNK_OPTIONS: Readonly<ChunkOptions> = { blockSize: 4096, count: 25600, skip: 0 };

/** SHA-1 of no bytes: the hash of a chunk that starts exactly at the end of a file. */
export const EMPTY_SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";

/** The skip counter of a hashing run; it carries over from one file to the next. */
export interface SkipState {
  /** Chunks still to skip before the next hashed one. */
  pending: number;
}

/** A fresh skip counter: the first chunk of the first file is hashed. */
export function newSkipState(): SkipState {
  return { pending: 0 };
}

/** Bytes per chunk. */
export function chunkSize(opts: ChunkOptions): number {
  return opts.blockSize * opts.count;
}

/**
 * The numbers of the chunks to hash in a file of `size` bytes, in order, updating `state`.
 *
 * This follows zfs-check 3.3 including one quirk that changes which chunks later files
 * sample: when the bytes left in a file are an exact multiple of the chunk size, it counts one
 * chunk too many while skipping. Where that makes upstream land exactly on the end of the file,
 * upstream prints a hash of zero bytes (`EMPTY_SHA1`) for a chunk that does not exist and that
 * its own --check then reports as EOF; we print nothing there but keep the counter as upstream
 * does, so every other line stays the same.
 */
export function* chunksToHash(
  size: number,
  chunkBytes: number,
  skip: number,
  state: SkipState,
): Generator<number> {
  let next = 0;
  while (next * chunkBytes < size) {
    if (state.pending > 0) {
      const rest = size - next * chunkBytes;
      const counted = (rest - (rest % chunkBytes)) / chunkBytes + 1;
      if (state.pending >= counted) {
        state.pending -= counted;
        return;
      }
      next += state.pending;
    }
    state.pending = skip;
    if (next * chunkBytes >= size) return;
    yield next;
    next++;
  }
}
