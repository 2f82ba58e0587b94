package dev.cortado.db;

import java.util.Set;

/**
 * The plugin entry point for a DB backend, found by {@link java.util.ServiceLoader}: a jar lists
 * its implementation in {@code META-INF/services/dev.cortado.db.DbProvider}.
 *
 * <p>Names are matched case-insensitively, so {@code lmdb} also answers {@code LMDB}.
 */
public interface DbProvider {
  /** The canonical db_type, lower case, such as {@code lmdb}. */
  String name();

  /** Other names that select this backend. */
  default Set<String> aliases() {
    return Set.of();
  }

  /**
   * Opens {@code source} in {@code mode}. Failure is a {@link DbException} naming the path, the
   * mode and the native cause.
   */
  Db open(String source, Mode mode);

  /**
   * Whether a DB of this backend lives at the path it is opened with (a file or a directory). Such
   * DBs are written atomically: into a sibling path that is renamed into place when complete. A
   * backend whose DBs live elsewhere (in memory, on a server) returns false and is written in
   * place.
   */
  default boolean storesAtPath() {
    return true;
  }
}
