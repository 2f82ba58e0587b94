package dev.cortado.cpu.input;

import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbException;
import dev.cortado.db.Mode;
import dev.cortado.db.Transaction;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** A read-only test DB over a list of records that counts how many values were read. */
final class CountingDb implements Db {
  final List<byte[]> keys = new ArrayList<>();
  final List<byte[]> values = new ArrayList<>();
  final AtomicLong valuesRead = new AtomicLong();
  volatile boolean closed;

  CountingDb add(String key, byte[] value) {
    keys.add(key.getBytes(StandardCharsets.US_ASCII));
    values.add(value);
    return this;
  }

  @Override
  public String source() {
    return "/test/counting.db";
  }

  @Override
  public String type() {
    return "counting";
  }

  @Override
  public Mode mode() {
    return Mode.READ;
  }

  @Override
  public Cursor newCursor() {
    return new Cursor() {
      int at;

      @Override
      public void seekToFirst() {
        at = 0;
      }

      @Override
      public void next() {
        at++;
      }

      @Override
      public boolean valid() {
        check();
        return at < keys.size();
      }

      @Override
      public ByteBuffer key() {
        check();
        return ByteBuffer.wrap(keys.get(at)).asReadOnlyBuffer();
      }

      @Override
      public ByteBuffer value() {
        check();
        valuesRead.incrementAndGet();
        return ByteBuffer.wrap(values.get(at)).asReadOnlyBuffer();
      }

      @Override
      public void close() {}
    };
  }

  private void check() {
    if (closed) {
      throw new DbException("counting db used after close");
    }
  }

  @Override
  public Transaction newTransaction() {
    throw new DbException("read-only");
  }

  @Override
  public void close() {
    closed = true;
  }
}
