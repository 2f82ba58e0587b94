package dev.cortado.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.cortado.db.testkit.TestData;
import dev.cortado.spark.read.TensorProtosScan;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bad-inputs cases through the connector: the job fails with the DB path, the record's key (or
 * a minidb byte offset) and the problem; with on_bad_record=skip an undecodable record is counted
 * in the accumulator and left out. Cases that decode record by record (a different tensor count,
 * dtype or shape than the first record) read in the tensors layout and fail only in typed columns.
 */
class BadInputsTest {
  /** Each record decodes alone; they disagree with the first record. */
  private static final Set<String> CONSISTENCY =
      Set.of("proto-count-mismatch", "shape-differs", "dtype-differs");

  @TempDir Path tmp;

  @TestFactory
  Stream<DynamicTest> everyCase() throws Exception {
    JsonObject manifest =
        JsonParser.parseString(
                Files.readString(TestData.root().resolve("bad-inputs").resolve("manifest.json")))
            .getAsJsonObject();
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonElement c : manifest.getAsJsonArray("cases")) {
      JsonObject bad = c.getAsJsonObject();
      String name = bad.get("case").getAsString();
      if (name.equals("empty-db")) {
        continue; // emptyDb below
      }
      for (JsonElement d : bad.getAsJsonArray("dbs")) {
        String backend = d.getAsJsonObject().get("backend").getAsString();
        tests.add(DynamicTest.dynamicTest(name + " " + backend, () -> check(bad, backend)));
      }
    }
    return tests.stream();
  }

  private void check(JsonObject bad, String backend) throws Exception {
    SparkSession spark = LocalSpark.get();
    String name = bad.get("case").getAsString();
    Path db = Fixtures.badInput(name, backend, tmp.resolve(backend));
    List<String> anyOf = strings(bad, "error_must_contain_any_of");
    List<String> mention = strings(bad, "error_should_mention");
    int total = bad.get("num_records").getAsInt();
    boolean framing = name.startsWith("minidb-");
    DataFrameReader reader = spark.read().format("tensorprotos");
    if (CONSISTENCY.contains(name)) {
      assertThat(spark.read().format("tensorprotos").load(db.toString()).count())
          .as("every record decodes alone")
          .isEqualTo(total);
      reader = reader.option("columns", "bytes,floats,label");
    }
    DataFrameReader failing = reader;
    assertThatThrownBy(() -> failing.load(db.toString()).collectAsList())
        .satisfies(
            e -> {
              String message = allMessages(e);
              assertThat(message).contains(db.toString());
              assertThat(anyOf.stream().anyMatch(message::contains))
                  .as("message names one of %s: %s", anyOf, message)
                  .isTrue();
              for (String m : mention) {
                assertThat(message).containsIgnoringCase(m);
              }
            });
    if (framing) {
      // A broken file cannot be skipped past: the records after it are unreachable.
      assertThatThrownBy(
              () -> failing.option("on_bad_record", "skip").load(db.toString()).collectAsList())
          .satisfies(e -> assertThat(allMessages(e)).contains(db.toString()));
      return;
    }
    AtomicLong counted = new AtomicLong();
    SparkListener listener =
        new SparkListener() {
          @Override
          public void onStageCompleted(SparkListenerStageCompleted stage) {
            scala.collection.Iterator<AccumulableInfo> it =
                stage.stageInfo().accumulables().values().iterator();
            while (it.hasNext()) {
              AccumulableInfo info = it.next();
              if (info.name().isDefined()
                  && info.name().get().equals(TensorProtosScan.BAD_RECORDS_ACCUMULATOR)) {
                counted.addAndGet(Long.parseLong(String.valueOf(info.value().get())));
              }
            }
          }
        };
    spark.sparkContext().addSparkListener(listener);
    try {
      long rows = reader.option("on_bad_record", "skip").load(db.toString()).count();
      assertThat(rows).isEqualTo(total - 1);
      spark.sparkContext().listenerBus().waitUntilEmpty();
      assertThat(counted.get()).as("skipped records counted").isEqualTo(1);
    } finally {
      spark.sparkContext().removeSparkListener(listener);
    }
  }

  @Test
  void emptyDb() throws Exception {
    SparkSession spark = LocalSpark.get();
    for (String backend : Fixtures.BACKENDS) {
      Path db = Fixtures.badInput("empty-db", backend, tmp.resolve(backend));
      assertThat(spark.read().format("tensorprotos").load(db.toString()).count())
          .as("an empty %s reads as no rows", backend)
          .isZero();
      // A shard reads as Cortado's DbReader does, which refuses an empty DB.
      assertThatThrownBy(
              () ->
                  spark
                      .read()
                      .format("tensorprotos")
                      .option("num_shards", "2")
                      .option("shard_id", "0")
                      .load(db.toString())
                      .collectAsList())
          .satisfies(e -> assertThat(allMessages(e)).contains(db.toString()).contains("empty"));
      assertThatThrownBy(
              () ->
                  spark
                      .read()
                      .format("tensorprotos")
                      .option("columns", "a,b")
                      .load(db.toString())
                      .schema())
          .satisfies(e -> assertThat(allMessages(e)).contains(db.toString()).contains("empty"));
    }
  }

  private static List<String> strings(JsonObject o, String field) {
    List<String> out = new ArrayList<>();
    if (o.has(field)) {
      o.getAsJsonArray(field).forEach(x -> out.add(x.getAsString()));
    }
    return out;
  }

  static String allMessages(Throwable e) {
    StringBuilder sb = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      sb.append(t).append('\n');
    }
    return sb.toString();
  }
}
