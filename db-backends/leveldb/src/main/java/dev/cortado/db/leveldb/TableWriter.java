package dev.cortado.db.leveldb;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Writes one LevelDB table file ({@code .ldb}) from entries added in internal-key order: data
 * blocks with prefix-compressed keys and restart points, an empty metaindex block (no filter), an
 * index block and the 48-byte footer with LevelDB's magic number. Blocks are stored uncompressed
 * (compression type 0), which every LevelDB and RocksDB reads.
 */
final class TableWriter implements AutoCloseable {
  private static final int RESTART_INTERVAL = 16;
  private static final long MAGIC = 0xdb4775248b80fb57L;

  private final OutputStream out;
  private final int blockSize;
  private final BlockBuilder data = new BlockBuilder(RESTART_INTERVAL);
  private final BlockBuilder index = new BlockBuilder(1);
  private long offset;
  private byte[] lastKey;
  private byte[] firstKey;
  private int entries;

  TableWriter(Path file, int blockSize) throws IOException {
    this.out =
        new java.io.BufferedOutputStream(
            Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            1 << 16);
    this.blockSize = blockSize;
  }

  void add(byte[] internalKey, byte[] value) throws IOException {
    if (firstKey == null) {
      firstKey = internalKey;
    }
    data.add(internalKey, value);
    lastKey = internalKey;
    entries++;
    if (data.estimatedSize() >= blockSize) {
      flushDataBlock();
    }
  }

  private void flushDataBlock() throws IOException {
    if (data.isEmpty()) {
      return;
    }
    byte[] handle = writeBlock(data.finish());
    // The last key of a block separates it from the next one, as LevelDB's index needs.
    index.add(lastKey, handle);
    data.reset();
  }

  /** Writes the block and its 5-byte trailer; returns its encoded block handle. */
  private byte[] writeBlock(byte[] contents) throws IOException {
    byte[] type = {0};
    int crc = Format.maskedCrc(contents, 0, contents.length, type, 0, 1);
    ByteArrayOutputStream handle = new ByteArrayOutputStream();
    Format.putVarint(handle, offset);
    Format.putVarint(handle, contents.length);
    out.write(contents);
    out.write(type);
    ByteArrayOutputStream trailer = new ByteArrayOutputStream(4);
    Format.putFixed32(trailer, crc);
    out.write(trailer.toByteArray());
    offset += contents.length + 5;
    return handle.toByteArray();
  }

  /** Finishes the table; returns its size in bytes. */
  long finish() throws IOException {
    flushDataBlock();
    byte[] metaindex = writeBlock(new BlockBuilder(RESTART_INTERVAL).finish());
    byte[] indexHandle = writeBlock(index.finish());
    ByteArrayOutputStream footer = new ByteArrayOutputStream(48);
    footer.writeBytes(metaindex);
    footer.writeBytes(indexHandle);
    footer.writeBytes(new byte[40 - footer.size()]);
    Format.putFixed64(footer, MAGIC);
    out.write(footer.toByteArray());
    offset += 48;
    out.flush();
    return offset;
  }

  byte[] firstKey() {
    return firstKey;
  }

  byte[] lastKey() {
    return lastKey;
  }

  int entries() {
    return entries;
  }

  @Override
  public void close() throws IOException {
    out.close();
  }

  /** LevelDB's block layout: shared/unshared/value lengths, key suffix, value; then restarts. */
  private static final class BlockBuilder {
    private final int restartInterval;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private final List<Integer> restarts = new ArrayList<>(List.of(0));
    private byte[] last = new byte[0];
    private int counter;

    BlockBuilder(int restartInterval) {
      this.restartInterval = restartInterval;
    }

    void add(byte[] key, byte[] value) {
      int shared = 0;
      if (counter < restartInterval) {
        int max = Math.min(last.length, key.length);
        int mismatch = Arrays.mismatch(last, 0, max, key, 0, max);
        shared = mismatch < 0 ? max : mismatch;
      } else {
        restarts.add(buffer.size());
        counter = 0;
      }
      Format.putVarint(buffer, shared);
      Format.putVarint(buffer, key.length - shared);
      Format.putVarint(buffer, value.length);
      buffer.write(key, shared, key.length - shared);
      buffer.writeBytes(value);
      last = key;
      counter++;
    }

    boolean isEmpty() {
      return buffer.size() == 0;
    }

    int estimatedSize() {
      return buffer.size() + 4 * restarts.size() + 4;
    }

    byte[] finish() {
      for (int r : restarts) {
        Format.putFixed32(buffer, r);
      }
      Format.putFixed32(buffer, restarts.size());
      return buffer.toByteArray();
    }

    void reset() {
      buffer.reset();
      restarts.clear();
      restarts.add(0);
      last = new byte[0];
      counter = 0;
    }
  }
}
