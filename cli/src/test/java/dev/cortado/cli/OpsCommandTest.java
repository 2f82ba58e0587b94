package dev.cortado.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OpsCommandTest {
  @Test
  void listsTheInputPipelineOperatorsWithSchemasAndArguments() {
    Cli.Result r = Cli.run("ops", "--device", "cpu");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out())
        .contains(
            "Device 0 (cpu)",
            "CreateDB",
            "TensorProtosDBInput",
            "Cast",
            "Scale",
            "StopGradient",
            "batch_size",
            "NO_GRADIENT");
    assertThat(r.out()).contains("db types (CreateDB db_type): ").contains("lmdb", "minidb");
    assertThat(r.out()).doesNotContain("(cuda)");
  }

  @Test
  void jsonHasOneParsableLinePerRegistration() {
    Cli.Result r = Cli.run("ops", "--json");
    assertThat(r.exit()).as(r.err()).isZero();
    List<String> types = new ArrayList<>();
    for (String line : r.lines()) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      assertThat(o.has("inputs") && o.has("outputs") && o.has("args") && o.has("provider"))
          .isTrue();
      types.add(o.get("type").getAsString() + "/" + o.get("device").getAsString());
    }
    assertThat(types).contains("TensorProtosDBInput/cpu", "CreateDB/cpu").doesNotHaveDuplicates();
  }

  @Test
  void oneTypeShowsItsArguments() {
    Cli.Result r = Cli.run("ops", "--type", "TensorProtosDBInput", "--json");
    assertThat(r.exit()).as(r.err()).isZero();
    JsonObject o = JsonParser.parseString(r.lines().get(0)).getAsJsonObject();
    assertThat(o.get("gradient").getAsString()).isEqualTo("NO_GRADIENT");
    assertThat(o.get("args").toString()).contains("\"batch_size\"");
    assertThat(o.getAsJsonArray("outputs").get(1).isJsonNull()).isTrue();
  }

  @Test
  void anUnknownTypeSuggestsTheNearest() {
    Cli.Result r = Cli.run("ops", "--type", "CreateDb");
    MakeMnistDbCommandTest.assertOneLineError(r, "CreateDb", "CreateDB");
  }

  @Test
  void anUnknownDeviceIsAUsageError() {
    Cli.Result r = Cli.run("ops", "--device", "tpu");
    assertThat(r.exit()).isEqualTo(Main.EXIT_USAGE);
    assertThat(r.err()).contains("tpu").contains("cpu, cuda");
  }
}
