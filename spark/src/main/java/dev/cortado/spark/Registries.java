package dev.cortado.spark;

import dev.cortado.db.DbRegistry;

/**
 * The DB backends the connector opens DBs through: every {@code dev.cortado.db.DbProvider} that
 * {@link java.util.ServiceLoader} finds next to the connector's own classes (the {@code -all} jar,
 * or the jars given to {@code spark-submit --jars}), built once per JVM.
 */
public final class Registries {
  private static volatile DbRegistry registry;

  private Registries() {}

  /** The registry of this JVM (driver or executor). */
  public static DbRegistry get() {
    DbRegistry r = registry;
    if (r == null) {
      synchronized (Registries.class) {
        r = registry;
        if (r == null) {
          ClassLoader context = Thread.currentThread().getContextClassLoader();
          r =
              DbRegistry.fromServiceLoader(
                  context != null ? context : Registries.class.getClassLoader());
          if (r.names().isEmpty()) {
            r = DbRegistry.fromServiceLoader(Registries.class.getClassLoader());
          }
          registry = r;
        }
      }
    }
    return r;
  }
}
