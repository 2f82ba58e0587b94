package dev.cortado.cli;

import dev.cortado.CortadoException;
import dev.cortado.db.Db;
import dev.cortado.db.DbRegistry;
import dev.cortado.db.Mode;
import java.util.function.Supplier;

/**
 * Opens DBs for the DB tools through the ServiceLoader registry (so plugin jars on the classpath
 * add db types) and puts the path and db type in front of every failure.
 */
final class Dbs {
  /** The --db-type help text. */
  static final String TYPE_HELP =
      "lmdb, leveldb, rocksdb, minidb, memory, or a name a plugin jar adds; case-insensitive.";

  private static volatile DbRegistry registry;

  private Dbs() {}

  /** The registry of every {@code DbProvider} on the classpath, loaded once. */
  static DbRegistry registry() {
    DbRegistry r = registry;
    if (r == null) {
      synchronized (Dbs.class) {
        r = registry;
        if (r == null) {
          try {
            r = DbRegistry.fromServiceLoader();
          } catch (CortadoException e) {
            throw new CliException("cannot load the db backends: " + Errors.oneLine(e), e);
          }
          registry = r;
        }
      }
    }
    return r;
  }

  /** Opens {@code path} as {@code type}; a failure names both. */
  static Db open(String type, String path, Mode mode) {
    return where(type, path, () -> registry().open(type, path, mode));
  }

  /** "db PATH (db_type T)": how every DB error starts. */
  static String describe(String type, String path) {
    return "db " + path + " (db_type " + type + ")";
  }

  /**
   * Runs {@code work} and reports a failure as one line starting with the db path and type.
   */
  static <T> T where(String type, String path, Supplier<T> work) {
    try {
      return work.get();
    } catch (CliException e) {
      throw e;
    } catch (RuntimeException e) {
      String message = Errors.oneLine(e);
      // Backends usually name the path already; then the type is what is missing.
      String prefix = message.contains(path) ? "db_type " + type : describe(type, path);
      throw new CliException(prefix + ": " + message, e);
    }
  }

  /** Same as {@link #where(String, String, Supplier)} for work without a result. */
  static void where(String type, String path, Runnable work) {
    where(
        type,
        path,
        () -> {
          work.run();
          return null;
        });
  }
}
