package dev.cortado.cli;

import dev.cortado.db.DbOutput;
import dev.cortado.runtime.CortadoRuntime;
import java.util.EnumMap;
import java.util.Map;

/**
 * The Guice runtime (every operator and db plugin on the classpath), started once per JVM and
 * output policy: it is immutable, and each command makes its own workspace from it. Every command,
 * the DB tools included, goes through its registries, so a Guice override applies everywhere. The
 * CLI binds {@link DbOutput.Policy}: {@code Save} refuses an existing DB unless {@code --overwrite}
 * is given.
 */
final class Runtimes {
  private static final Map<DbOutput.Policy, CortadoRuntime> RUNTIMES =
      new EnumMap<>(DbOutput.Policy.class);
  private static CortadoRuntime given;

  private Runtimes() {}

  /** The runtime of the DB tools (and of nets that write nothing that exists). */
  static CortadoRuntime start() {
    return start(false);
  }

  /** The runtime whose {@code Save} replaces existing DBs when {@code overwrite}. */
  static synchronized CortadoRuntime start(boolean overwrite) {
    if (given != null) {
      return given;
    }
    DbOutput.Policy policy = overwrite ? DbOutput.Policy.REPLACE : DbOutput.Policy.REFUSE;
    CortadoRuntime rt = RUNTIMES.get(policy);
    if (rt == null) {
      try {
        rt = CortadoRuntime.create(binder -> binder.bind(DbOutput.Policy.class).toInstance(policy));
      } catch (RuntimeException e) {
        throw new CliException("cannot start the Cortado runtime: " + Errors.oneLine(e), e);
      }
      RUNTIMES.put(policy, rt);
    }
    return rt;
  }

  /**
   * Uses {@code rt} for the following commands, or the CLI's own runtimes again when null (an
   * embedding program's or a test's runtime, such as one with a Guice override).
   */
  static synchronized void use(CortadoRuntime rt) {
    given = rt;
  }
}
