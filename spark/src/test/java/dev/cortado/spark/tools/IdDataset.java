package dev.cortado.spark.tools;

import com.google.protobuf.ByteString;
import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbRegistry;
import dev.cortado.db.Mode;
import dev.cortado.db.Transaction;
import dev.cortado.proto.TensorProto;
import dev.cortado.proto.TensorProtos;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A dataset whose records say who they are: record i has key {@code %08d} of i, a BYTE [1,4,4]
 * image and an INT32 label equal to i, so a reader that sees only the batches still knows which
 * keys it read.
 */
final class IdDataset {
  static final DbRegistry DBS = DbRegistry.fromServiceLoader();

  private IdDataset() {}

  static String key(int id) {
    return String.format(Locale.ROOT, "%08d", id);
  }

  static byte[] value(int id) {
    byte[] pixels = new byte[16];
    for (int j = 0; j < pixels.length; j++) {
      pixels[j] = (byte) (id * 31 + j);
    }
    return TensorProtos.newBuilder()
        .addProtos(
            TensorProto.newBuilder()
                .addDims(1)
                .addDims(4)
                .addDims(4)
                .setDataType(TensorProto.DataType.BYTE)
                .setByteData(ByteString.copyFrom(pixels)))
        .addProtos(
            TensorProto.newBuilder().setDataType(TensorProto.DataType.INT32).addInt32Data(id))
        .build()
        .toByteArray();
  }

  /** Writes records 0..n-1 into a new DB. */
  static void write(String dbType, String path, int n) {
    try (Db db = DBS.open(dbType, path, Mode.NEW);
        Transaction txn = db.newTransaction()) {
      for (int i = 0; i < n; i++) {
        txn.put(key(i).getBytes(StandardCharsets.US_ASCII), value(i));
        if (i % 500 == 499) {
          txn.commit();
        }
      }
      txn.commit();
    }
  }

  /** Every (key, value) of a DB in cursor order, read by Cortado's own backend. */
  static List<Record> scan(String dbType, String path) {
    List<Record> records = new ArrayList<>();
    try (Db db = DBS.open(dbType, path, Mode.READ);
        Cursor c = db.newCursor()) {
      for (c.seekToFirst(); c.valid(); c.next()) {
        records.add(new Record(bytes(c.key()), bytes(c.value())));
      }
    }
    return records;
  }

  static byte[] bytes(ByteBuffer b) {
    ByteBuffer d = b.duplicate();
    byte[] out = new byte[d.remaining()];
    d.get(out);
    return out;
  }

  /** One record; equal when key and value bytes are. */
  record Record(byte[] key, byte[] value) {
    String keyString() {
      return new String(key, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Record r
          && java.util.Arrays.equals(key, r.key)
          && java.util.Arrays.equals(value, r.value);
    }

    @Override
    public int hashCode() {
      return java.util.Arrays.hashCode(key) * 31 + java.util.Arrays.hashCode(value);
    }

    @Override
    public String toString() {
      return keyString() + " (" + value.length + " bytes)";
    }
  }
}
