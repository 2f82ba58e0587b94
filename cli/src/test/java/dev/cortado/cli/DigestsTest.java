package dev.cortado.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The float statistics of {@code --digest}. */
class DigestsTest {
  @Test
  void floatAndDoubleOutputsCarryStatsAndHead(@TempDir Path dir) throws Exception {
    Path net = dir.resolve("n.pbtxt");
    Files.writeString(
        net,
        "name: 'n'\n"
            + "op { type: 'GivenTensorFill' output: 'f' arg { name: 'shape' ints: 20 }"
            + " arg { name: 'values' floats: [1, -2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,"
            + " 16, 17, 18, 19, 0.5] } }\n"
            + "op { type: 'GivenTensorDoubleFill' output: 'd' arg { name: 'shape' ints: 2 }"
            + " arg { name: 'values' floats: [3, -4] } }\n"
            + "op { type: 'GivenTensorIntFill' output: 'i' arg { name: 'shape' ints: 2 }"
            + " arg { name: 'values' ints: [3, 4] } }\n");
    Cli.Result r = Cli.run("run-net", "--net", net.toString(), "--digest", "f,d,i");
    assertThat(r.exit()).as(r.err()).isZero();
    JsonArray outputs = JsonParser.parseString(r.out()).getAsJsonObject().getAsJsonArray("outputs");
    JsonObject f = outputs.get(0).getAsJsonObject();
    assertThat(f.get("sha256").getAsString()).hasSize(64);
    JsonObject stats = f.getAsJsonObject("stats");
    assertThat(stats.get("sum").getAsDouble()).isEqualTo(186.5);
    double l2 = 0;
    for (int k = 3; k <= 19; k++) {
      l2 += k * k;
    }
    l2 += 1 + 4 + 0.25;
    assertThat(stats.get("l2").getAsDouble())
        .isCloseTo(Math.sqrt(l2), org.assertj.core.data.Offset.offset(1e-9));
    assertThat(stats.get("min").getAsDouble()).isEqualTo(-2);
    assertThat(stats.get("max").getAsDouble()).isEqualTo(19);
    JsonArray head = f.getAsJsonArray("head");
    assertThat(head.size()).isEqualTo(16);
    assertThat(head.get(1).getAsDouble()).isEqualTo(-2);
    assertThat(head.get(15).getAsDouble()).isEqualTo(16);
    JsonObject d = outputs.get(1).getAsJsonObject();
    assertThat(d.getAsJsonObject("stats").get("l2").getAsDouble()).isEqualTo(5);
    assertThat(d.getAsJsonArray("head").size()).isEqualTo(2);
    JsonObject i = outputs.get(2).getAsJsonObject();
    assertThat(i.has("stats")).isFalse();
    assertThat(i.has("head")).isFalse();
  }
}
