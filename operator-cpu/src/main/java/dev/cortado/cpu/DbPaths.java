package dev.cortado.cpu;

import dev.cortado.operator.OperatorContext;

/** Caffe2's path rule for Save, Load and DBExists (§12.1 of docs/caffe2-semantics.md). */
final class DbPaths {
  private DbPaths() {}

  /** {@code db} as given when {@code absolute_path} is set, else {@code <root folder>/<db>}. */
  static String resolve(OperatorContext ctx, String db) {
    if (ctx.args().getInt("absolute_path", 0) != 0) {
      return db;
    }
    return ctx.rootFolder() + "/" + db;
  }
}
