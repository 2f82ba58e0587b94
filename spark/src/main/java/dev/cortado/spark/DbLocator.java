package dev.cortado.spark;

import dev.cortado.db.DbException;
import dev.cortado.db.DbRegistry;
import dev.cortado.db.DbTypeDetector;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Turns the paths given to {@code load()} into the DBs to read: one DB, a directory of shard DBs,
 * or a glob (in the last path component). Without a {@code db_type} option the type of each DB is
 * told from its files: a regular file is a minidb; a directory with {@code data.mdb} is LMDB; one
 * with {@code OPTIONS-*} files is RocksDB; one with {@code CURRENT} but no {@code OPTIONS-*} is
 * LevelDB. Paths are local (or shared) file-system paths that every executor sees.
 */
public final class DbLocator {
  private DbLocator() {}

  /** The DBs under {@code paths}, in path order and, inside a directory, in name order. */
  public static List<DbSource> locate(List<String> paths, String dbType, DbRegistry registry) {
    if (paths.isEmpty()) {
      throw new IllegalArgumentException(
          "tensorprotos: no path given; use load(path) with a DB, a directory of shard DBs or a"
              + " glob");
    }
    if (dbType != null) {
      registry.provider(dbType); // an unknown name fails here, listing the known ones
    }
    List<DbSource> out = new ArrayList<>();
    for (String raw : paths) {
      String given = stripScheme(raw);
      if (isGlob(given)) {
        List<Path> matches = expandGlob(given);
        if (matches.isEmpty()) {
          throw new DbException("tensorprotos: the glob " + raw + " matches nothing");
        }
        for (Path match : matches) {
          locateOne(match, dbType, out);
        }
      } else {
        locateOne(Path.of(given), dbType, out);
      }
    }
    return out;
  }

  /**
   * The db_type a path's files show, if any ({@code lmdb}, {@code rocksdb}, {@code leveldb}, {@code
   * minidb}, or {@link DbTypeDetector#SHARDS} for a write's output), by Cortado's {@link
   * DbTypeDetector}, which the CLI uses too.
   */
  public static Optional<String> detect(Path path) {
    return DbTypeDetector.detect(path).map(DbTypeDetector.Detection::type);
  }

  private static void locateOne(Path path, String dbType, List<DbSource> out) {
    if (!Files.exists(path)) {
      throw new DbException("tensorprotos: no DB at " + path + ": the path does not exist");
    }
    Optional<String> detected = detect(path);
    if (detected.isPresent() && !detected.get().equals(DbTypeDetector.SHARDS)) {
      out.add(new DbSource(path.toString(), dbType != null ? dbType : detected.get()));
      return;
    }
    if (!Files.isDirectory(path)) {
      if (dbType == null) {
        throw new DbException(
            "tensorprotos: cannot tell the db_type of "
                + path
                + ": it is no"
                + " minidb file, LMDB, LevelDB or RocksDB directory; give the option db_type");
      }
      out.add(new DbSource(path.toString(), dbType)); // a plugin backend's file
      return;
    }
    // A directory that is not itself a DB of a known layout.
    List<Path> children = children(path);
    boolean shardSet =
        detected.isPresent()
            || children.stream().anyMatch(c -> c.getFileName().toString().startsWith("shard-"));
    if (dbType != null && !shardSet) {
      out.add(new DbSource(path.toString(), dbType)); // a plugin backend's own directory layout
      return;
    }
    if (children.isEmpty()) {
      throw new DbException(
          "tensorprotos: "
              + path
              + " is an empty directory: expected a DB (an"
              + " LMDB, LevelDB or RocksDB directory, or a minidb file) or a directory of shard DBs");
    }
    for (Path child : children) {
      Optional<String> type = detect(child).filter(t -> !t.equals(DbTypeDetector.SHARDS));
      if (type.isEmpty() && dbType == null) {
        throw new DbException(
            "tensorprotos: cannot tell the db_type of "
                + child
                + " (in the"
                + " directory of shards "
                + path
                + "): it has no data.mdb (lmdb), OPTIONS-* (rocksdb)"
                + " or CURRENT (leveldb) file; give the option db_type");
      }
      out.add(new DbSource(child.toString(), dbType != null ? dbType : type.get()));
    }
  }

  /** Entries of a shard directory in name order, without {@code _*} and {@code .*} names. */
  private static List<Path> children(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(
              p -> {
                String name = p.getFileName().toString();
                return !name.startsWith("_") && !name.startsWith(".");
              })
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new DbException("tensorprotos: cannot list " + dir + ": " + e, e);
    }
  }

  /** True when {@code path} holds a glob character ({@code * ? [ {}). */
  public static boolean isGlob(String path) {
    return path.indexOf('*') >= 0
        || path.indexOf('?') >= 0
        || path.indexOf('[') >= 0
        || path.indexOf('{') >= 0;
  }

  private static List<Path> expandGlob(String glob) {
    Path pattern = Path.of(glob);
    Path parent = pattern.getParent() == null ? Path.of(".") : pattern.getParent();
    if (isGlob(parent.toString())) {
      throw new IllegalArgumentException(
          "tensorprotos: only the last component of a path may be" + " a glob, got " + glob);
    }
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> stream =
        Files.newDirectoryStream(parent, pattern.getFileName().toString())) {
      for (Path p : stream) {
        String name = p.getFileName().toString();
        if (!name.startsWith("_") && !name.startsWith(".")) {
          out.add(p);
        }
      }
    } catch (IOException e) {
      throw new DbException("tensorprotos: cannot expand the glob " + glob + ": " + e, e);
    }
    out.sort(null);
    return out;
  }

  /** The path without a {@code file:} scheme. */
  public static String stripScheme(String path) {
    String lower = path.toLowerCase(Locale.ROOT);
    if (lower.startsWith("file://")) {
      return path.substring("file://".length());
    }
    if (lower.startsWith("file:")) {
      return path.substring("file:".length());
    }
    return path;
  }
}
