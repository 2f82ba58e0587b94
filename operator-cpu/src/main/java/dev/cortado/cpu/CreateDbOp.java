package dev.cortado.cpu;

import dev.cortado.db.DbReader;
import dev.cortado.db.DbRegistry;
import dev.cortado.operator.Gradient;
import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;

/**
 * Caffe2's {@code CreateDB}: opens {@code db} with the backend named by {@code db_type} (through
 * the runtime's {@link DbRegistry}) as a {@link DbReader} in its output blob. It reopens on every
 * run, so reading restarts at the shard start; the previous reader is closed first, because
 * LevelDB-style backends allow one open handle per process. The path is used as given.
 */
final class CreateDbOp implements Operator {
  static final OperatorSchema SCHEMA =
      OperatorSchema.builder("CreateDB")
          .numInputs(0)
          .numOutputs(1)
          .arg("db_type", "leveldb", "backend name (case-insensitive; see cortado db types)")
          .requiredArg("db", "DB path or source")
          .arg("num_shards", "1", "number of shards the records are split into")
          .arg("shard_id", "0", "which shard this reader returns")
          .doc("Opens a DB reader (reopened on every run) in the output blob.")
          .gradient(Gradient.NO_GRADIENT)
          .build();

  private final OperatorContext ctx;
  private final DbRegistry registry;
  private final String dbType;
  private final String db;
  private final int numShards;
  private final int shardId;

  CreateDbOp(OperatorContext ctx) {
    this.ctx = ctx;
    this.dbType = ctx.args().getString("db_type", "leveldb");
    this.db = ctx.args().getString("db", "");
    if (db.isEmpty()) {
      throw ctx.args().error("db", "is empty: must specify a db name");
    }
    this.numShards = ctx.args().getInt("num_shards", 1);
    this.shardId = ctx.args().getInt("shard_id", 0);
    if (numShards < 1 || shardId < 0 || shardId >= numShards) {
      throw ctx.error(
          "needs num_shards >= 1 and 0 <= shard_id < num_shards, found num_shards="
              + numShards
              + ", shard_id="
              + shardId);
    }
    this.registry = ctx.service(DbRegistry.class);
    registry.provider(
        dbType); // an unknown db_type fails when the net is built, listing known names
  }

  @Override
  public void run() {
    ctx.output(0).reset();
    ctx.output(0).set(DbReader.open(registry, dbType, db, numShards, shardId));
  }
}
