package dev.cortado.db.testkit;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The parts of {@code expectations.json} and {@code bad-inputs/manifest.json} the contract checks.
 */
final class Fixtures {
  private Fixtures() {}

  record OutputHash(String dtype, long[] shape, String sha256) {}

  record Batch(int[] records, List<OutputHash> outputs) {}

  record Run(int batchSize, int numShards, int shardId, int cycleLength, List<Batch> batches) {
    String name() {
      return "batch_size=" + batchSize + " num_shards=" + numShards + " shard_id=" + shardId;
    }
  }

  record DbEntry(String backend, String path) {}

  record Group(List<DbEntry> dbs, int[] readOrder, List<Run> runs) {
    boolean has(String backend) {
      return dbs.stream().anyMatch(d -> d.backend().equalsIgnoreCase(backend));
    }
  }

  record RawRecord(int index, String keyHex, int valueLength, String valueSha256) {}

  record Dataset(
      Path dir, String name, int numOutputs, List<RawRecord> records, List<Group> groups) {}

  record BadCase(
      Path dir,
      String name,
      String description,
      List<DbEntry> dbs,
      int numRecords,
      String failsIn,
      List<String> errorTokens,
      List<Batch> batchesBeforeError,
      int numOutputs) {
    boolean has(String backend) {
      return dbs.stream().anyMatch(d -> d.backend().equalsIgnoreCase(backend));
    }
  }

  /** Every {@code <dataset>/expectations.json} under {@code root}, by folder name. */
  static List<Dataset> datasets(Path root) {
    List<Dataset> out = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path dir : dirs.sorted().toList()) {
        Path file = dir.resolve("expectations.json");
        if (Files.isRegularFile(file)) {
          out.add(dataset(dir, json(file)));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** The cases of {@code root/bad-inputs/manifest.json}. */
  static List<BadCase> badCases(Path root) {
    Path dir = root.resolve("bad-inputs");
    JsonObject manifest = json(dir.resolve("manifest.json"));
    int numOutputs = manifest.getAsJsonArray("valid_record_outputs").size();
    List<BadCase> out = new ArrayList<>();
    for (JsonElement e : manifest.getAsJsonArray("cases")) {
      JsonObject c = e.getAsJsonObject();
      String name = c.get("case").getAsString();
      out.add(
          new BadCase(
              dir.resolve(name),
              name,
              c.get("description").getAsString(),
              dbs(c.getAsJsonArray("dbs")),
              c.get("num_records").getAsInt(),
              c.get("fails_in").getAsString(),
              strings(c.getAsJsonArray("error_must_contain_any_of")),
              batches(c.getAsJsonArray("batch_size_1_batches_before_error")),
              numOutputs));
    }
    return out;
  }

  private static Dataset dataset(Path dir, JsonObject e) {
    List<RawRecord> records = new ArrayList<>();
    for (JsonElement r : e.getAsJsonArray("records")) {
      JsonObject o = r.getAsJsonObject();
      records.add(
          new RawRecord(
              o.get("index").getAsInt(),
              o.get("key_hex").getAsString(),
              o.get("value_len").getAsInt(),
              o.get("value_sha256").getAsString()));
    }
    List<Group> groups = new ArrayList<>();
    for (JsonElement g : e.getAsJsonArray("groups")) {
      JsonObject o = g.getAsJsonObject();
      List<Run> runs = new ArrayList<>();
      for (JsonElement r : o.getAsJsonArray("runs")) {
        JsonObject run = r.getAsJsonObject();
        runs.add(
            new Run(
                run.get("batch_size").getAsInt(),
                run.get("num_shards").getAsInt(),
                run.get("shard_id").getAsInt(),
                run.get("cycle_length").getAsInt(),
                batches(run.getAsJsonArray("batches"))));
      }
      groups.add(
          new Group(dbs(o.getAsJsonArray("dbs")), ints(o.getAsJsonArray("read_order")), runs));
    }
    return new Dataset(
        dir, e.get("dataset").getAsString(), e.getAsJsonArray("outputs").size(), records, groups);
  }

  private static List<Batch> batches(JsonArray array) {
    List<Batch> out = new ArrayList<>();
    for (JsonElement b : array) {
      JsonObject o = b.getAsJsonObject();
      List<OutputHash> outputs = new ArrayList<>();
      for (JsonElement h : o.getAsJsonArray("outputs")) {
        JsonObject hash = h.getAsJsonObject();
        JsonArray shape = hash.getAsJsonArray("shape");
        long[] dims = new long[shape.size()];
        for (int i = 0; i < dims.length; i++) {
          dims[i] = shape.get(i).getAsLong();
        }
        outputs.add(
            new OutputHash(
                hash.get("dtype").getAsString(), dims, hash.get("sha256").getAsString()));
      }
      out.add(new Batch(ints(o.getAsJsonArray("records")), outputs));
    }
    return out;
  }

  private static List<DbEntry> dbs(JsonArray array) {
    List<DbEntry> out = new ArrayList<>();
    for (JsonElement d : array) {
      JsonObject o = d.getAsJsonObject();
      out.add(new DbEntry(o.get("backend").getAsString(), o.get("path").getAsString()));
    }
    return out;
  }

  private static int[] ints(JsonArray array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).getAsInt();
    }
    return out;
  }

  private static List<String> strings(JsonArray array) {
    List<String> out = new ArrayList<>();
    for (JsonElement s : array) {
      out.add(s.getAsString());
    }
    return out;
  }

  private static JsonObject json(Path file) {
    try {
      return JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8))
          .getAsJsonObject();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
