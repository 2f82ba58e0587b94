package dev.cortado.reliability;

import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbRegistry;
import dev.cortado.db.Mode;
import dev.cortado.db.Transaction;
import dev.cortado.db.memory.MemoryDbProvider;
import dev.cortado.proto.TensorProto;
import dev.cortado.proto.TensorProtos;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/** The backends under test, and records written to and read back from them. */
final class Dbs {
  /** Every built-in backend, as CreateDB names them. */
  static final List<String> ALL = List.of("minidb", "lmdb", "rocksdb", "leveldb", "memory");

  /** The backends that keep their data in files. */
  static final List<String> ON_DISK = List.of("minidb", "lmdb", "rocksdb", "leveldb");

  static final DbRegistry REGISTRY = DbRegistry.fromServiceLoader();

  private Dbs() {}

  /** One key/value pair, copied out of the backend. */
  record Rec(byte[] key, byte[] value) {
    String keyString() {
      return new String(key, java.nio.charset.StandardCharsets.UTF_8);
    }

    boolean sameAs(Rec other) {
      return Arrays.equals(key, other.key) && Arrays.equals(value, other.value);
    }
  }

  /** A fresh DB location for {@code type} under {@code dir} (a name for the memory backend). */
  static String newSource(String type, Path dir) {
    return switch (type) {
      case "memory" -> "reliability-" + UUID.randomUUID();
      case "minidb" -> dir.resolve("db-" + UUID.randomUUID() + ".minidb").toString();
      default -> dir.resolve("db-" + UUID.randomUUID()).toString();
    };
  }

  static void write(String type, String source, List<Rec> records) {
    try (Db db = REGISTRY.open(type, source, Mode.NEW);
        Transaction tx = db.newTransaction()) {
      for (Rec r : records) {
        tx.put(r.key(), r.value());
      }
      tx.commit();
    }
  }

  /** Every record in cursor order. */
  static List<Rec> readAll(String type, String source) {
    try (Db db = REGISTRY.open(type, source, Mode.READ)) {
      return readAll(db);
    }
  }

  static List<Rec> readAll(Db db) {
    List<Rec> out = new ArrayList<>();
    try (Cursor c = db.newCursor()) {
      for (c.seekToFirst(); c.valid(); c.next()) {
        out.add(new Rec(bytes(c.key()), bytes(c.value())));
      }
    }
    return out;
  }

  static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  static byte[] key(long i) {
    return String.format("%08d", i).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  /** Record i: INT64 scalar i and FLOAT [2] {i, -i}. */
  static byte[] indexed(long i) {
    return TensorProtos.newBuilder()
        .addProtos(TensorProto.newBuilder().setDataType(TensorProto.DataType.INT64).addInt64Data(i))
        .addProtos(
            TensorProto.newBuilder()
                .setDataType(TensorProto.DataType.FLOAT)
                .addDims(2)
                .addFloatData(i)
                .addFloatData(-i))
        .build()
        .toByteArray();
  }

  static List<Rec> indexedRecords(int n) {
    List<Rec> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(new Rec(key(i), indexed(i)));
    }
    return out;
  }

  /** Writes n indexed records into a new DB of {@code type}; returns its source. */
  static String indexedDb(String type, Path dir, int n) {
    String source = newSource(type, dir);
    write(type, source, indexedRecords(n));
    return source;
  }

  /** Forgets a memory DB; deletes nothing for the others (their temp dirs go with the test). */
  static void drop(String type, String source) {
    if (type.equals("memory")) {
      MemoryDbProvider.drop(source);
    }
  }

  static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
