package dev.cortado.spark.write;

import org.apache.spark.sql.connector.distributions.Distribution;
import org.apache.spark.sql.connector.distributions.Distributions;
import org.apache.spark.sql.connector.expressions.Expression;
import org.apache.spark.sql.connector.expressions.Expressions;
import org.apache.spark.sql.connector.expressions.NullOrdering;
import org.apache.spark.sql.connector.expressions.SortDirection;
import org.apache.spark.sql.connector.expressions.SortOrder;
import org.apache.spark.sql.connector.write.BatchWrite;
import org.apache.spark.sql.connector.write.RequiresDistributionAndOrdering;
import org.apache.spark.sql.connector.write.SupportsTruncate;
import org.apache.spark.sql.connector.write.Write;
import org.apache.spark.sql.connector.write.WriteBuilder;

/**
 * A sharded write: Spark clusters the rows by key into exactly {@code num_shards} partitions (one
 * per shard) and sorts each by key, so every shard DB is written in key order. With {@code
 * shard_by=input} Spark leaves the rows where they are: input partition i is shard i (at most
 * {@code num_shards} partitions, each in ascending key order, the keys of different partitions
 * disjoint: the key ranges of one DB read with {@code splits_per_db}), which saves the shuffle.
 */
final class ShardWrite implements RequiresDistributionAndOrdering {
  private final WriteSpec spec;
  private final boolean truncate;
  private final String keyColumn;

  ShardWrite(WriteSpec spec, boolean truncate, String keyColumn) {
    this.spec = spec;
    this.truncate = truncate;
    this.keyColumn = keyColumn;
  }

  @Override
  public Distribution requiredDistribution() {
    if (spec.byInput()) {
      return Distributions.unspecified();
    }
    return Distributions.clustered(new Expression[] {Expressions.column(keyColumn)});
  }

  @Override
  public boolean distributionStrictlyRequired() {
    return !spec.byInput();
  }

  @Override
  public int requiredNumPartitions() {
    return spec.byInput() ? 0 : spec.numShards();
  }

  @Override
  public SortOrder[] requiredOrdering() {
    if (spec.byInput()) {
      return new SortOrder[0];
    }
    return new SortOrder[] {
      Expressions.sort(
          Expressions.column(keyColumn), SortDirection.ASCENDING, NullOrdering.NULLS_FIRST)
    };
  }

  @Override
  public String description() {
    return "tensorprotos "
        + spec.numShards()
        + " "
        + spec.dbType()
        + " shard(s) at "
        + spec.outDir();
  }

  @Override
  public BatchWrite toBatch() {
    return new ShardBatchWrite(spec, truncate);
  }

  /** Builds the write; {@code truncate()} (Spark's overwrite mode) replaces the old shards. */
  static final class Builder implements SupportsTruncate {
    private final WriteSpec spec;
    private final String keyColumn;
    private boolean truncate;

    Builder(WriteSpec spec, String keyColumn) {
      this.spec = spec;
      this.keyColumn = keyColumn;
    }

    @Override
    public WriteBuilder truncate() {
      truncate = true;
      return this;
    }

    @Override
    public Write build() {
      return new ShardWrite(spec, truncate, keyColumn);
    }
  }
}
