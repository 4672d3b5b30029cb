/** Upstream's compressor table: what runs on the sending and on the receiving host. */
import type { CompressType } from "../cli/options.ts";

/** Commands of one compressor. */
export interface Compressor {
  compress: string[];
  decompress: string[];
}

/** The table (reference §4.12). zstdmt is zstd's multi-threaded name. */
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
