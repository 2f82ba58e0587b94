package dev.cortado.db.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the records of a small, well-formed minidb fixture, independently of any backend, so that
 * the contract can write a shared dataset into a backend that has no copy of it.
 */
final class MiniDbRecords {
  private MiniDbRecords() {}

  /**
   * Every {key, value} of {@code file} in file order; broken framing is an IllegalStateException.
   */
  static List<byte[][]> read(Path file) {
    ByteBuffer data;
    try {
      data = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    List<byte[][]> records = new ArrayList<>();
    while (data.hasRemaining()) {
      int at = data.position();
      if (data.remaining() < 8) {
        throw new IllegalStateException(file + ": torn record header at byte " + at);
      }
      int keyLength = data.getInt();
      int valueLength = data.getInt();
      if (keyLength <= 0
          || valueLength <= 0
          || keyLength > data.remaining()
          || valueLength > data.remaining() - keyLength) {
        throw new IllegalStateException(file + ": bad record framing at byte " + at);
      }
      byte[] key = new byte[keyLength];
      byte[] value = new byte[valueLength];
      data.get(key).get(value);
      records.add(new byte[][] {key, value});
    }
    return records;
  }
}
