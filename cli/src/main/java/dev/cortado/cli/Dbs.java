package dev.cortado.cli;

import dev.cortado.db.Db;
import dev.cortado.db.DbProvider;
import dev.cortado.db.DbRegistry;
import dev.cortado.db.DbTypeDetector;
import dev.cortado.db.Mode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Opens DBs for the DB tools through the runtime's registry (so plugin jars and Guice overrides
 * apply to every command), detects db types, and puts the path and type in front of a failure.
 */
final class Dbs {
  /** How every command says that a DB holds no record. */
  static final String EMPTY = "the DB is empty (0 records)";

  private Dbs() {}

  /** The runtime's registry of every {@code DbProvider}. */
  static DbRegistry registry() {
    return Runtimes.start().dbs();
  }

  /** The canonical name of a db type; an unknown one is an error listing the known ones. */
  static String canonical(String type, String path) {
    DbProvider p = where(type, path, () -> registry().provider(type));
    String name = p.name().toLowerCase(Locale.ROOT);
    // A binding under another key (a Guice override) is known by the key the user gave.
    return registry().find(name).orElse(null) == p ? name : type.toLowerCase(Locale.ROOT);
  }

  /**
   * The type of the DB at {@code path}: {@code given} when set (an error when the files say
   * otherwise), else detected from the files.
   */
  static String inputType(String given, String path) {
    Path p = Path.of(path);
    if (given != null) {
      if (given.contains(",")) {
        throw new CliException("--db-type takes one type here, got '" + given + "'");
      }
      String type = canonical(given, path);
      Optional<DbTypeDetector.Detection> other = DbTypeDetector.mismatch(type, p);
      if (other.isPresent()) {
        throw new CliException(
            path
                + " looks like "
                + other.get().looksLike()
                + ", not "
                + DbTypeDetector.describeType(type)
                + "; try --db-type "
                + other.get().type());
      }
      return type;
    }
    if (!Files.exists(p)) {
      throw new CliException("no DB at " + path + ": no such file or folder");
    }
    DbTypeDetector.Detection d =
        DbTypeDetector.detect(p)
            .orElseThrow(
                () ->
                    new CliException(
                        "cannot tell the db type of "
                            + path
                            + " from its files (not an LMDB, LevelDB, RocksDB"
                            + " or minidb DB); pass --db-type"));
    if (d.type().equals(DbTypeDetector.SHARDS)) {
      throw new CliException(path + " is " + d.looksLike() + "; pass one shard's DB inside it");
    }
    if (registry().find(d.type()).isEmpty()) {
      throw new CliException(
          path
              + " looks like "
              + d.looksLike()
              + ", but no backend for '"
              + d.type()
              + "' is on the classpath; a backend is added by a jar that provides"
              + " dev.cortado.db.DbProvider");
    }
    return d.type();
  }

  /** Opens {@code path} as {@code type}; a failure names both. */
  static Db open(String type, String path, Mode mode) {
    return where(type, path, () -> registry().open(type, path, mode));
  }

  /** "db PATH (db_type T)": how every DB error starts. */
  static String describe(String type, String path) {
    return "db " + path + " (db_type " + type + ")";
  }

  /** Runs {@code work} and reports a failure as one line that names the db path and type once. */
  static <T> T where(String type, String path, Supplier<T> work) {
    try {
      return work.get();
    } catch (CliException e) {
      throw e;
    } catch (RuntimeException e) {
      String message = Errors.oneLine(e);
      String lower = message.toLowerCase(Locale.ROOT);
      boolean namesPath = path == null || message.contains(path);
      boolean namesType = lower.contains(type.toLowerCase(Locale.ROOT));
      // Backends usually name the path and often the type; say only what is missing.
      String prefix =
          namesPath && namesType
              ? ""
              : namesPath
                  ? "db_type " + type + ": "
                  : namesType ? "db " + path + ": " : describe(type, path) + ": ";
      throw new CliException(prefix + message, e);
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
