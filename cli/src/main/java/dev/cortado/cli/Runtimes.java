package dev.cortado.cli;

import dev.cortado.runtime.CortadoRuntime;

/**
 * The Guice runtime (every operator and db plugin on the classpath), started once per JVM: it is
 * immutable, and each command makes its own workspace from it. Every command, the DB tools
 * included, goes through its registries, so a Guice override applies everywhere.
 */
final class Runtimes {
  private static CortadoRuntime runtime;

  private Runtimes() {}

  static synchronized CortadoRuntime start() {
    if (runtime == null) {
      try {
        runtime = CortadoRuntime.create();
      } catch (RuntimeException e) {
        throw new CliException("cannot start the Cortado runtime: " + Errors.oneLine(e), e);
      }
    }
    return runtime;
  }

  /** Uses {@code rt} for the following commands (an embedding program's or a test's runtime). */
  static synchronized void use(CortadoRuntime rt) {
    runtime = rt;
  }
}
