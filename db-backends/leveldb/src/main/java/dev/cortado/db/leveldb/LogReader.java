package dev.cortado.db.leveldb;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads every complete record of a LevelDB log file. A torn last record (the writer died mid-write)
 * ends the log, as in LevelDB's recovery; a bad checksum or fragment order before the end is
 * corruption.
 */
final class LogReader {
  private LogReader() {}

  static List<byte[]> readAll(Path file) throws IOException {
    byte[] data = Files.readAllBytes(file);
    List<byte[]> records = new ArrayList<>();
    ByteArrayOutputStream pending = null;
    int pos = 0;
    while (pos < data.length) {
      int inBlock = LogWriter.BLOCK_SIZE - pos % LogWriter.BLOCK_SIZE;
      if (inBlock < LogWriter.HEADER_SIZE) {
        pos += inBlock; // trailer padding
        continue;
      }
      if (pos + LogWriter.HEADER_SIZE > data.length) {
        break; // torn header at the end
      }
      ByteBuffer header = ByteBuffer.wrap(data, pos, LogWriter.HEADER_SIZE);
      int crc =
          header.get() & 0xff
              | (header.get() & 0xff) << 8
              | (header.get() & 0xff) << 16
              | (header.get() & 0xff) << 24;
      int length = header.get() & 0xff | (header.get() & 0xff) << 8;
      int type = header.get() & 0xff;
      int start = pos + LogWriter.HEADER_SIZE;
      if (type == 0 && length == 0) {
        pos += inBlock; // a preallocated, zero-filled rest of block
        continue;
      }
      if (start + length > data.length) {
        break; // torn record at the end
      }
      if (Format.maskedCrc(new byte[] {(byte) type}, 0, 1, data, start, length) != crc) {
        throw new IOException(file + ": log record checksum mismatch at byte offset " + pos);
      }
      switch (type) {
        case LogWriter.FULL -> records.add(slice(data, start, length));
        case LogWriter.FIRST -> {
          pending = new ByteArrayOutputStream();
          pending.write(data, start, length);
        }
        case LogWriter.MIDDLE, LogWriter.LAST -> {
          if (pending == null) {
            throw new IOException(
                file + ": log fragment without a first part at byte offset " + pos);
          }
          pending.write(data, start, length);
          if (type == LogWriter.LAST) {
            records.add(pending.toByteArray());
            pending = null;
          }
        }
        default ->
            throw new IOException(
                file + ": unknown log record type " + type + " at byte offset " + pos);
      }
      pos = start + length;
    }
    return records;
  }

  private static byte[] slice(byte[] data, int start, int length) {
    byte[] out = new byte[length];
    System.arraycopy(data, start, out, 0, length);
    return out;
  }
}
