package dev.cortado.db;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;

/**
 * A list-backed Db for DbReader tests, with switchable seek/position support and fault injection.
 */
final class FakeDb implements Db {
  final List<byte[][]> records = new ArrayList<>();
  final String source;
  boolean seekable;
  boolean positions;

  /** next() onto this index throws; -1 for never. */
  int failMovingOnto = -1;

  boolean closed;
  int cursorsOpen;

  FakeDb(String source, int n) {
    this.source = source;
    for (int i = 0; i < n; i++) {
      records.add(new byte[][] {key(i), ("value-" + i).getBytes(StandardCharsets.US_ASCII)});
    }
  }

  static byte[] key(int i) {
    return String.format("%08d", i).getBytes(StandardCharsets.US_ASCII);
  }

  static String keyString(byte[] key) {
    return new String(key, StandardCharsets.US_ASCII);
  }

  @Override
  public String source() {
    return source;
  }

  @Override
  public String type() {
    return "fake";
  }

  @Override
  public Mode mode() {
    return Mode.READ;
  }

  @Override
  public Cursor newCursor() {
    check();
    cursorsOpen++;
    return new FakeCursor();
  }

  @Override
  public Transaction newTransaction() {
    throw new DbException("read-only");
  }

  @Override
  public void close() {
    closed = true;
  }

  private void check() {
    if (closed) {
      throw new DbException("fake db " + source + " is closed");
    }
  }

  final class FakeCursor implements Cursor {
    int at;
    boolean cursorClosed;

    @Override
    public void seekToFirst() {
      check();
      at = 0;
    }

    @Override
    public void seek(byte[] key) {
      if (!seekable) {
        Cursor.super.seek(key);
      }
      check();
      at = 0;
      while (at < records.size() && Arrays.compareUnsigned(records.get(at)[0], key) < 0) {
        at++;
      }
    }

    @Override
    public boolean supportsSeek() {
      return seekable;
    }

    @Override
    public OptionalLong position() {
      return positions && valid() ? OptionalLong.of(at * 100L) : OptionalLong.empty();
    }

    @Override
    public void seekToPosition(long position) {
      if (!positions) {
        Cursor.super.seekToPosition(position);
      }
      check();
      at = (int) (position / 100);
    }

    @Override
    public void next() {
      check();
      if (at + 1 == failMovingOnto) {
        throw new DbException("injected failure moving onto record " + failMovingOnto);
      }
      at++;
    }

    @Override
    public boolean valid() {
      check();
      return at < records.size();
    }

    @Override
    public ByteBuffer key() {
      check();
      return ByteBuffer.wrap(records.get(at)[0]).asReadOnlyBuffer();
    }

    @Override
    public ByteBuffer value() {
      check();
      return ByteBuffer.wrap(records.get(at)[1]).asReadOnlyBuffer();
    }

    @Override
    public String location() {
      return "item " + at;
    }

    private void check() {
      if (cursorClosed) {
        throw new DbException("cursor closed");
      }
      FakeDb.this.check();
    }

    @Override
    public void close() {
      if (!cursorClosed) {
        cursorClosed = true;
        cursorsOpen--;
      }
    }
  }
}
