package dev.cortado.spark.read;

import dev.cortado.db.Keys;
import dev.cortado.spark.DbSource;
import org.apache.spark.sql.connector.read.InputPartition;

/**
 * One input partition: a whole DB, a key range [{@code from}, {@code to}) of a seekable DB (null
 * ends are open), or one shard of a DB as Cortado's {@code DbReader} gives it ({@code numShards} >
 * 0).
 */
public record DbPartition(DbSource source, byte[] from, byte[] to, int numShards, int shardId)
    implements InputPartition {
  private static final long serialVersionUID = 1L;

  public static DbPartition whole(DbSource source) {
    return new DbPartition(source, null, null, 0, 0);
  }

  public static DbPartition range(DbSource source, byte[] from, byte[] to) {
    return new DbPartition(source, from, to, 0, 0);
  }

  public static DbPartition shard(DbSource source, int numShards, int shardId) {
    return new DbPartition(source, null, null, numShards, shardId);
  }

  public boolean sharded() {
    return numShards > 0;
  }

  @Override
  public String toString() {
    if (sharded()) {
      return source + ", shard " + shardId + " of " + numShards;
    }
    if (from == null && to == null) {
      return source.toString();
    }
    return source
        + ", keys ["
        + (from == null ? "first" : Keys.describe(from))
        + ", "
        + (to == null ? "end" : Keys.describe(to))
        + ")";
  }
}
