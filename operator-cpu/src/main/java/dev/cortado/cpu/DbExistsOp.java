package dev.cortado.cpu;

import dev.cortado.db.Db;
import dev.cortado.db.DbProvider;
import dev.cortado.db.DbRegistry;
import dev.cortado.db.Mode;
import dev.cortado.operator.Gradient;
import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;

/**
 * Caffe2's {@code DBExists}: a bool scalar, true when {@code db_name} opens in READ mode. Unlike
 * Caffe2, which answers true for an unknown {@code db_type}, an unknown type is an error listing
 * the known ones.
 */
final class DbExistsOp implements Operator {
  static final OperatorSchema SCHEMA =
      OperatorSchema.builder("DBExists")
          .numInputs(0)
          .numOutputs(1)
          .arg("absolute_path", "0", "use db_name as given instead of under the root folder")
          .arg("db_name", null, "DB path (note: db_name, not db)")
          .arg("db_type", null, "backend name")
          .doc("Outputs a bool scalar: whether the DB can be opened for reading.")
          .gradient(Gradient.SHOULD_NOT_DO_GRADIENT)
          .build();

  private final OperatorContext ctx;
  private final DbProvider provider;
  private final String path;

  DbExistsOp(OperatorContext ctx) {
    this.ctx = ctx;
    String dbType = ctx.args().getString("db_type", "");
    this.provider = ctx.service(DbRegistry.class).provider(dbType);
    String name = ctx.args().getString("db_name", "");
    if (name.isEmpty()) {
      throw ctx.args().error("db_name", "is missing or empty");
    }
    this.path = DbPaths.resolve(ctx, name);
  }

  @Override
  public void run() {
    Db db;
    try {
      db = provider.open(path, Mode.READ);
    } catch (RuntimeException e) {
      // Caffe2's rule: the DB exists iff opening it for reading does not throw.
      ctx.output(0).set(CounterOps.scalarBool(false));
      return;
    }
    db.close();
    ctx.output(0).set(CounterOps.scalarBool(true));
  }
}
