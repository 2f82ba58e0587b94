package dev.cortado.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A shared dataset's expectations.json, the parts the CLI tests use. */
record Expectations(Path dir, JsonObject json) {
  /** One record of the dataset. */
  record Rec(int index, String keyHex, int valueLen, String valueSha256) {}

  /** One group of DBs that iterate in the same order. */
  record Group(List<String[]> dbs, List<Integer> readOrder) {}

  static Expectations load(String dataset) {
    Path dir = Cli.testdata().resolve(dataset);
    try {
      return new Expectations(
          dir,
          JsonParser.parseString(Files.readString(dir.resolve("expectations.json")))
              .getAsJsonObject());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  List<Rec> records() {
    List<Rec> out = new ArrayList<>();
    for (JsonElement e : json.getAsJsonArray("records")) {
      JsonObject r = e.getAsJsonObject();
      out.add(
          new Rec(
              r.get("index").getAsInt(),
              r.get("key_hex").getAsString(),
              r.get("value_len").getAsInt(),
              r.get("value_sha256").getAsString()));
    }
    return out;
  }

  /** Each group: dbs as {backend, absolute path}, and the read order. */
  List<Group> groups() {
    List<Group> out = new ArrayList<>();
    for (JsonElement g : json.getAsJsonArray("groups")) {
      List<String[]> dbs = new ArrayList<>();
      for (JsonElement d : g.getAsJsonObject().getAsJsonArray("dbs")) {
        JsonObject db = d.getAsJsonObject();
        dbs.add(
            new String[] {
              db.get("backend").getAsString(), dir.resolve(db.get("path").getAsString()).toString()
            });
      }
      List<Integer> order = new ArrayList<>();
      JsonArray ro = g.getAsJsonObject().getAsJsonArray("read_order");
      for (JsonElement i : ro) {
        order.add(i.getAsInt());
      }
      out.add(new Group(dbs, order));
    }
    return out;
  }
}
