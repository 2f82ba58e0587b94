package dev.cortado.db;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tells a DB's type from its files, without opening it and without writing anything: an LMDB
 * environment ({@code data.mdb}), a RocksDB database (an {@code OPTIONS-*} file) versus a LevelDB
 * one ({@code CURRENT} and a {@code MANIFEST-*}, no {@code OPTIONS-*}), a minidb file (its first
 * record's framing is valid), a Cortado shard set ({@code _manifest.json}) and an SQLite file.
 */
public final class DbTypeDetector {
  /** The db_type of a Cortado shard set: a folder of DBs described by {@code _manifest.json}. */
  public static final String SHARDS = "shards";

  /** The types this detector can tell apart; a plugin's own type is never second-guessed. */
  public static final Set<String> KNOWN = Set.of("lmdb", "leveldb", "rocksdb", "minidb", SHARDS);

  private static final Pattern MANIFEST_TYPE = Pattern.compile("\"db_type\"\\s*:\\s*\"([^\"]+)\"");

  private DbTypeDetector() {}

  /**
   * What the files at a path look like.
   *
   * @param type the db_type they belong to
   * @param looksLike a phrase for messages, such as {@code an LMDB environment (data.mdb)}
   */
  public record Detection(String type, String looksLike) {}

  /** The type of the DB at {@code path}, or empty when it is missing or not recognizable. */
  public static Optional<Detection> detect(Path path) {
    try {
      if (Files.isDirectory(path)) {
        return detectFolder(path);
      }
      if (Files.isRegularFile(path)) {
        return detectFile(path);
      }
    } catch (IOException e) {
      // Unreadable: the backend's open reports it with its own words.
    }
    return Optional.empty();
  }

  /**
   * A message when the files at {@code path} belong to another type than {@code given} (a canonical
   * db_type), such as {@code x looks like an LMDB environment (data.mdb), not a minidb file}; empty
   * when they match, cannot be told, or {@code given} is a type this detector does not know.
   */
  public static Optional<Detection> mismatch(String given, Path path) {
    String g = given.toLowerCase(Locale.ROOT);
    if (!KNOWN.contains(g)) {
      return Optional.empty();
    }
    return detect(path).filter(d -> !d.type().equals(g));
  }

  /** A description of what a type's files look like, for "not a ..." phrases. */
  public static String describeType(String type) {
    return switch (type.toLowerCase(Locale.ROOT)) {
      case "lmdb" -> "an LMDB environment";
      case "leveldb" -> "a LevelDB database";
      case "rocksdb" -> "a RocksDB database";
      case "minidb" -> "a minidb file";
      case SHARDS -> "a Cortado shard set";
      default -> "a " + type + " DB";
    };
  }

  private static Optional<Detection> detectFolder(Path dir) throws IOException {
    Set<String> names = new TreeSet<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path e : entries) {
        names.add(e.getFileName().toString());
      }
    }
    if (names.contains("data.mdb")) {
      return Optional.of(new Detection("lmdb", "an LMDB environment (data.mdb)"));
    }
    if (names.contains("_manifest.json")) {
      String inner = manifestType(dir.resolve("_manifest.json"));
      return Optional.of(
          new Detection(
              SHARDS,
              "a Cortado shard set (_manifest.json"
                  + (inner == null ? "" : ", shards of type " + inner)
                  + ")"));
    }
    Optional<String> options = names.stream().filter(n -> n.startsWith("OPTIONS-")).findFirst();
    if (options.isPresent()) {
      return Optional.of(new Detection("rocksdb", "a RocksDB database (" + options.get() + ")"));
    }
    Optional<String> manifest = names.stream().filter(n -> n.startsWith("MANIFEST-")).findFirst();
    if (names.contains("CURRENT") && manifest.isPresent()) {
      return Optional.of(
          new Detection(
              "leveldb",
              "a LevelDB database (CURRENT and " + manifest.get() + ", no OPTIONS-* file)"));
    }
    return Optional.empty();
  }

  private static String manifestType(Path manifest) {
    try {
      Matcher m = MANIFEST_TYPE.matcher(Files.readString(manifest, StandardCharsets.UTF_8));
      return m.find() ? m.group(1) : null;
    } catch (IOException e) {
      return null;
    }
  }

  private static Optional<Detection> detectFile(Path file) throws IOException {
    long size = Files.size(file);
    if (file.getFileName().toString().equals("data.mdb")) {
      return Optional.of(
          new Detection(
              "lmdb",
              "the data file of an LMDB environment (pass its folder, " + file.getParent() + ")"));
    }
    if (size == 0) {
      return Optional.of(new Detection("minidb", "an empty minidb file (0 bytes)"));
    }
    byte[] head = new byte[16];
    int n;
    try (InputStream in = Files.newInputStream(file)) {
      n = in.readNBytes(head, 0, head.length);
    }
    if (n == 16
        && Arrays.equals(
            Arrays.copyOf(head, 16), "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII))) {
      return Optional.of(new Detection("sqlite", "an SQLite database file"));
    }
    if (n >= 8) {
      ByteBuffer b = ByteBuffer.wrap(head, 0, 8).order(ByteOrder.LITTLE_ENDIAN);
      long keyLen = b.getInt();
      long valueLen = b.getInt();
      if (keyLen > 0 && valueLen > 0 && 8 + keyLen + valueLen <= size) {
        return Optional.of(
            new Detection("minidb", "a minidb file (its first record's framing is valid)"));
      }
    }
    return Optional.empty();
  }
}
