package dev.cortado.spark.read;

import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbRegistry;
import dev.cortado.db.Mode;
import dev.cortado.spark.DbSource;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Splits a seekable DB (LMDB, LevelDB, RocksDB: keys in unsigned byte order) into key ranges of
 * about equal record counts. One pass over the keys keeps at most {@value #MAX_SAMPLES} evenly
 * spaced ones (the stride doubles when the sample fills up), then picks the range bounds among
 * them. A DB whose cursor cannot seek (minidb) stays one partition.
 */
final class KeySplitter {
  static final int MAX_SAMPLES = 4096;

  private KeySplitter() {}

  static List<DbPartition> split(DbSource source, int splits, DbRegistry registry) {
    List<byte[]> samples = new ArrayList<>();
    try (Db db = registry.open(source.dbType(), source.path(), Mode.READ);
        Cursor cursor = db.newCursor()) {
      if (!cursor.supportsSeek()) {
        return List.of(DbPartition.whole(source));
      }
      long stride = 1;
      long index = 0;
      for (; cursor.valid(); cursor.next(), index++) {
        if (index % stride == 0) {
          ByteBuffer key = cursor.key();
          byte[] k = new byte[key.remaining()];
          key.duplicate().get(k);
          samples.add(k);
          if (samples.size() == MAX_SAMPLES) {
            List<byte[]> kept = new ArrayList<>(MAX_SAMPLES / 2);
            for (int i = 0; i < samples.size(); i += 2) {
              kept.add(samples.get(i));
            }
            samples = kept;
            stride *= 2;
          }
        }
      }
    }
    List<DbPartition> out = new ArrayList<>();
    byte[] from = null;
    for (int s = 1; s < splits; s++) {
      int at = (int) ((long) s * samples.size() / splits);
      if (at <= 0 || at >= samples.size()) {
        continue;
      }
      byte[] bound = samples.get(at);
      if (from != null && Arrays.compareUnsigned(bound, from) <= 0) {
        continue;
      }
      out.add(DbPartition.range(source, from, bound));
      from = bound;
    }
    out.add(DbPartition.range(source, from, null));
    return out;
  }
}
