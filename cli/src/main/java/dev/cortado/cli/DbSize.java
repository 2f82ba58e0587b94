package dev.cortado.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.OptionalLong;

/**
 * How big a DB is, where the files tell cheaply: LMDB's entry count (from its meta pages) and a
 * minidb file's size in bytes. Progress bars use it as their total; {@code inspect} reports the
 * exact count when there is one.
 */
final class DbSize {
  private static final int LMDB_MAGIC = 0xBEEFC0DE;

  private DbSize() {}

  /** A progress total: records, or bytes of minidb records (8 + key + value each). */
  record Total(long max, boolean bytes) {
    String unit() {
      return bytes ? "B" : "rec";
    }

    /** The progress steps one record of these lengths is worth. */
    long step(int keyLength, int valueLength) {
      return bytes ? 8L + keyLength + valueLength : 1;
    }
  }

  /** The progress total for reading a DB (divided among shards), or max -1 when unknown. */
  static Total total(String type, String path, int numShards) {
    OptionalLong entries = exactCount(type, path);
    if (entries.isPresent()) {
      return new Total((entries.getAsLong() + numShards - 1) / numShards, false);
    }
    if (type.equals("minidb") && numShards == 1) {
      try {
        return new Total(Files.size(Path.of(path)), true);
      } catch (IOException e) {
        return new Total(-1, false);
      }
    }
    return new Total(-1, false);
  }

  /** The record count when the backend keeps it (LMDB), read without opening the DB. */
  static OptionalLong exactCount(String type, String path) {
    if (!type.equals("lmdb")) {
      return OptionalLong.empty();
    }
    Path data = Path.of(path).resolve("data.mdb");
    try (FileChannel ch = FileChannel.open(data, StandardOpenOption.READ)) {
      ByteBuffer first = ByteBuffer.allocate(160).order(ByteOrder.nativeOrder());
      ch.read(first, 0);
      if (first.getInt(16) != LMDB_MAGIC) {
        return OptionalLong.empty();
      }
      // The free DB's md_pad holds the page size; meta pages 0 and 1 alternate, the one with the
      // larger txnid is current.
      int pageSize = first.getInt(40);
      ByteBuffer second = ByteBuffer.allocate(160).order(ByteOrder.nativeOrder());
      ch.read(second, pageSize);
      ByteBuffer meta =
          second.getInt(16) == LMDB_MAGIC && second.getLong(144) > first.getLong(144)
              ? second
              : first;
      return OptionalLong.of(meta.getLong(120));
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty();
    }
  }
}
