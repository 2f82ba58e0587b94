package dev.cortado.tensor;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The shared fixtures in testdata, read in place (minidb framing parsed here). */
final class TestData {
  static final List<String> DATASETS =
      List.of("fmnist-mini", "all-dtypes", "wire-variants", "key-order");

  /** One minidb record. The key is kept as bytes and as a Latin-1 string for messages. */
  record Record(byte[] key, byte[] value) {
    String keyString() {
      return new String(key, StandardCharsets.ISO_8859_1);
    }
  }

  private TestData() {}

  static Path root() {
    String dir = System.getProperty("cortado.testdata");
    if (dir == null) {
      throw new IllegalStateException("system property cortado.testdata is not set");
    }
    return Path.of(dir);
  }

  static Path minidb(String dataset) {
    return root().resolve(dataset).resolve(dataset + ".minidb");
  }

  /** Caffe2 minidb: int32 LE key length, int32 LE value length, key, value; repeated to EOF. */
  static List<Record> readMinidb(Path file) {
    byte[] all;
    try {
      all = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    List<Record> out = new ArrayList<>();
    while (b.remaining() >= 8) {
      int klen = b.getInt();
      int vlen = b.getInt();
      if (klen <= 0 || vlen <= 0 || klen + (long) vlen > b.remaining()) {
        throw new IllegalStateException(file + ": bad framing at record " + out.size());
      }
      byte[] key = new byte[klen];
      byte[] value = new byte[vlen];
      b.get(key).get(value);
      out.add(new Record(key, value));
    }
    return out;
  }

  static List<Record> records(String dataset) {
    return readMinidb(minidb(dataset));
  }

  static JsonObject json(Path file) {
    try {
      return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonObject expectations(String dataset) {
    return json(root().resolve(dataset).resolve("expectations.json"));
  }

  static long[] longs(JsonElement array) {
    var a = array.getAsJsonArray();
    long[] out = new long[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).getAsLong();
    }
    return out;
  }

  /** All valid record values of every good dataset, for seeding mutation tests. */
  static List<byte[]> allValidValues() {
    List<byte[]> out = new ArrayList<>();
    for (String ds : DATASETS) {
      for (Record r : records(ds)) {
        out.add(r.value());
      }
    }
    return out;
  }
}
