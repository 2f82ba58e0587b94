package dev.cortado.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bad-inputs cases of the shared test data that fail in decoding or batching: the records
 * before the bad one decode to the expected hashes, and the bad one fails in both decoders (or in
 * the batch assembler) with a DecodeException that names the key and the problem.
 */
class BadInputsTest {
  static Stream<JsonObject> decodingCases() {
    return cases("protobuf parsing", "tensor decoding");
  }

  static Stream<JsonObject> batchCases() {
    return cases(
        "tensor count check",
        "shape check against first record",
        "dtype check against first record");
  }

  private static Stream<JsonObject> cases(String... failsIn) {
    JsonObject manifest = TestData.json(TestData.root().resolve("bad-inputs/manifest.json"));
    List<JsonObject> out = new ArrayList<>();
    for (JsonElement c : manifest.getAsJsonArray("cases")) {
      String where = c.getAsJsonObject().get("fails_in").getAsString();
      if (List.of(failsIn).contains(where)) {
        out.add(c.getAsJsonObject());
      }
    }
    assertThat(out).isNotEmpty();
    return out.stream();
  }

  private static List<TestData.Record> records(JsonObject c) {
    String name = c.get("case").getAsString();
    return TestData.readMinidb(
        TestData.root().resolve("bad-inputs").resolve(name).resolve(name + ".minidb"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("decodingCases")
  void badRecordFailsInBothDecoders(JsonObject c) {
    List<TestData.Record> records = records(c);
    int bad = c.get("bad_record_index").getAsInt();
    checkRecordsBefore(c, records);
    TestData.Record r = records.get(bad);
    assertThat(new Differential().check(r.value())).isEqualTo(Differential.Outcome.REJECTED);
    ThrowingCallable ref =
        () -> TensorProtoCodec.decodeRecord(ByteBuffer.wrap(r.value()), r.keyString());
    ThrowingCallable stream =
        () -> new TensorProtosDecoder().decode(ByteBuffer.wrap(r.value()), r.keyString());
    ThrowingCallable batch =
        () ->
            BatchAssembler.assemble(
                List.of(ByteBuffer.wrap(records.get(0).value()), ByteBuffer.wrap(r.value())),
                List.of(records.get(0).keyString(), r.keyString()),
                3);
    for (ThrowingCallable call : List.of(ref, stream, batch)) {
      var thrown =
          assertThatThrownBy(call)
              .isInstanceOf(DecodeException.class)
              .hasMessageContaining(
                  c.getAsJsonArray("error_must_contain_any_of").get(0).getAsString());
      String[] hints = strings(c, "error_should_mention");
      if (hints.length > 0) {
        thrown.hasMessageContainingAll(hints);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("batchCases")
  void badRecordFailsTheBatchNamingBothValues(JsonObject c) {
    List<TestData.Record> records = records(c);
    int bad = c.get("bad_record_index").getAsInt();
    checkRecordsBefore(c, records);
    // Each record on its own is a valid TensorProtos.
    Differential diff = new Differential();
    for (TestData.Record r : records) {
      assertThat(diff.check(r.value())).isEqualTo(Differential.Outcome.ACCEPTED);
    }
    List<ByteBuffer> values = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    for (int i = 0; i <= bad; i++) {
      values.add(ByteBuffer.wrap(records.get(i).value()));
      keys.add(records.get(i).keyString());
    }
    assertThatThrownBy(() -> BatchAssembler.assemble(values, keys, 3))
        .isInstanceOf(DecodeException.class)
        .hasMessageStartingWith("record '" + c.get("bad_key").getAsString() + "': ")
        .hasMessageContainingAll(strings(c, "error_should_mention"));
    // Batches of the good records alone are fine.
    assertThat(BatchAssembler.assemble(values.subList(0, bad), keys.subList(0, bad), 3)).hasSize(3);
  }

  private static void checkRecordsBefore(JsonObject c, List<TestData.Record> records) {
    TensorProtosDecoder decoder = new TensorProtosDecoder();
    for (JsonElement be : c.getAsJsonArray("batch_size_1_batches_before_error")) {
      JsonObject batch = be.getAsJsonObject();
      TestData.Record r = records.get(batch.getAsJsonArray("records").get(0).getAsInt());
      List<Tensor> ref = TensorProtoCodec.decodeRecord(ByteBuffer.wrap(r.value()), r.keyString());
      List<Tensor> str = decoder.decode(ByteBuffer.wrap(r.value()), r.keyString());
      var outputs = batch.getAsJsonArray("outputs");
      for (int j = 0; j < outputs.size(); j++) {
        String sha = outputs.get(j).getAsJsonObject().get("sha256").getAsString();
        assertThat(TensorDigest.sha256Hex(ref.get(j))).isEqualTo(sha);
        assertThat(TensorDigest.sha256Hex(str.get(j))).isEqualTo(sha);
      }
    }
  }

  private static String[] strings(JsonObject c, String field) {
    List<String> out = new ArrayList<>();
    c.getAsJsonArray(field).forEach(e -> out.add(e.getAsString()));
    return out.toArray(new String[0]);
  }
}
