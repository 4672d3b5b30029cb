/** Upstream's compressor table: what runs on the sending and on the receiving host. */

/** Valid `--compress` types, in upstream's order. */
export const COMPRESS_TYPES = [
  "gzip",
  "pigz-fast",
  "pigz-slow",
  "zstd-fast",
  "zstd-slow",
  "zstd-adapt",
  "xz",
  "lzo",
  "lz4",
] as const;

/** A compressor name from upstream's table. */
export type CompressType = (typeof COMPRESS_TYPES)[number];

/** Commands of one compressor. */
export interface Compressor {
  compress: string[];
  decompress: string[];
}

/** The commands per type. zstdmt is zstd's multi-threaded name. */
export const COMPRESSORS: Record<CompressType, Compressor> = {
  "gzip": { compress: ["gzip", "-3"], decompress: ["zcat"] },
  "pigz-fast": { compress: ["pigz", "-3"], decompress: ["pigz", "-dc"] },
  "pigz-slow": { compress: ["pigz", "-9"], decompress: ["pigz", "-dc"] },
  "zstd-fast": { compress: ["zstdmt", "-3"], decompress: ["zstdmt", "-dc"] },
  "zstd-slow": { compress: ["zstdmt", "-19"], decompress: ["zstdmt", "-dc"] },
  "zstd-adapt": { compress: ["zstdmt", "--adapt"], decompress: ["zstdmt", "-dc"] },
  "xz": { compress: ["xz"], decompress: ["xz", "-d"] },
  "lzo": { compress: ["lzop"], decompress: ["lzop", "-dfc"] },
  "lz4": { compress: ["lz4"], decompress: ["lz4", "-dc"] },
};
