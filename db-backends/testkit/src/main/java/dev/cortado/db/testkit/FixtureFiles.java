package dev.cortado.db.testkit;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Helpers for a backend's own tests beside the contract: the shared test vectors' raw key/value
 * expectations, full cursor scans in the same form, writable copies of fixture directories, and
 * directory snapshots that prove a read left the files unchanged.
 */
public final class FixtureFiles {
  public static final List<String> DATASETS =
      List.of("fmnist-mini", "all-dtypes", "wire-variants", "key-order");

  private FixtureFiles() {}

  public static Path testdata() {
    return TestData.root();
  }

  /** "key_hex value_len value_sha256" per record, in the read order of {@code backend}'s group. */
  public static List<String> expectedScan(String dataset, String backend) throws IOException {
    JsonObject e =
        JsonParser.parseString(
                Files.readString(testdata().resolve(dataset).resolve("expectations.json")))
            .getAsJsonObject();
    var records = e.getAsJsonArray("records");
    for (JsonElement g : e.getAsJsonArray("groups")) {
      for (JsonElement db : g.getAsJsonObject().getAsJsonArray("dbs")) {
        if (db.getAsJsonObject().get("backend").getAsString().equals(backend)) {
          List<String> out = new ArrayList<>();
          for (JsonElement i : g.getAsJsonObject().getAsJsonArray("read_order")) {
            JsonObject r = records.get(i.getAsInt()).getAsJsonObject();
            out.add(
                r.get("key_hex").getAsString()
                    + " "
                    + r.get("value_len").getAsInt()
                    + " "
                    + r.get("value_sha256").getAsString());
          }
          return out;
        }
      }
    }
    throw new IllegalStateException(dataset + " has no " + backend + " DB");
  }

  /** The same form as {@link #expectedScan}, from a full cursor scan. */
  public static List<String> scan(Db db) {
    List<String> out = new ArrayList<>();
    try (Cursor c = db.newCursor()) {
      for (; c.valid(); c.next()) {
        out.add(hex(c.key()) + " " + c.value().remaining() + " " + sha256(c.value()));
      }
    }
    return out;
  }

  public static String hex(ByteBuffer b) {
    byte[] a = new byte[b.remaining()];
    b.duplicate().get(a);
    return HexFormat.of().formatHex(a);
  }

  public static String sha256(ByteBuffer b) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(b.duplicate());
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** A writable copy of a fixture directory (the shared files are read-only). */
  public static Path copy(Path dir, Path into) throws IOException {
    Files.createDirectories(into);
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path to = into.resolve(f.getFileName());
        Files.copy(f, to);
        to.toFile().setWritable(true);
      }
    }
    return into;
  }

  /** File name -> size and SHA-256 of every file under {@code dir}: equal snapshots, same bytes. */
  public static Map<String, String> snapshot(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (Files.isRegularFile(f)) {
          byte[] bytes = Files.readAllBytes(f);
          out.put(
              dir.relativize(f).toString(), bytes.length + " " + sha256(ByteBuffer.wrap(bytes)));
        } else if (!f.equals(dir)) {
          out.put(dir.relativize(f) + "/", "dir");
        }
      }
    }
    return out;
  }
}
