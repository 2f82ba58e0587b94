package dev.cortado.db.leveldb;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes LevelDB's log format (used for the write-ahead log and the MANIFEST): 32 KiB blocks of
 * records, each a 7-byte header (masked CRC32C, length, type) and a fragment of the payload.
 */
final class LogWriter implements AutoCloseable {
  static final int BLOCK_SIZE = 32768;
  static final int HEADER_SIZE = 7;
  static final int FULL = 1;
  static final int FIRST = 2;
  static final int MIDDLE = 3;
  static final int LAST = 4;
  private static final byte[] ZEROS = new byte[HEADER_SIZE];

  private final FileChannel channel;
  private int blockOffset;

  LogWriter(Path file) throws IOException {
    this.channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
  }

  /** Appends one record, fragmenting it across blocks as LevelDB's log::Writer does. */
  void add(byte[] payload) throws IOException {
    int left = payload.length;
    int offset = 0;
    boolean begin = true;
    do {
      int leftover = BLOCK_SIZE - blockOffset;
      if (leftover < HEADER_SIZE) {
        // Too little room for a header: pad the block with zeros (readers skip them).
        write(ByteBuffer.wrap(ZEROS, 0, leftover));
        blockOffset = 0;
      }
      int avail = BLOCK_SIZE - blockOffset - HEADER_SIZE;
      int fragment = Math.min(left, avail);
      boolean end = left == fragment;
      int type = begin && end ? FULL : begin ? FIRST : end ? LAST : MIDDLE;
      byte[] header = new byte[HEADER_SIZE];
      byte[] typeByte = {(byte) type};
      int crc = Format.maskedCrc(typeByte, 0, 1, payload, offset, fragment);
      for (int i = 0; i < 4; i++) {
        header[i] = (byte) (crc >>> (8 * i));
      }
      header[4] = (byte) fragment;
      header[5] = (byte) (fragment >>> 8);
      header[6] = (byte) type;
      write(ByteBuffer.wrap(header));
      write(ByteBuffer.wrap(payload, offset, fragment));
      blockOffset += HEADER_SIZE + fragment;
      offset += fragment;
      left -= fragment;
      begin = false;
    } while (left > 0);
  }

  private void write(ByteBuffer bytes) throws IOException {
    while (bytes.hasRemaining()) {
      channel.write(bytes);
    }
  }

  void sync() throws IOException {
    channel.force(false);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
