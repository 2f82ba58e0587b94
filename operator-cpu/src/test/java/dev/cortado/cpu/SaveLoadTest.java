package dev.cortado.cpu;

import static dev.cortado.cpu.CpuTesting.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.cortado.CortadoException;
import dev.cortado.db.Cursor;
import dev.cortado.db.Db;
import dev.cortado.db.DbReader;
import dev.cortado.db.Mode;
import dev.cortado.db.Transaction;
import dev.cortado.operator.ArgumentException;
import dev.cortado.proto.BlobProto;
import dev.cortado.proto.BlobSerializationOptions;
import dev.cortado.proto.DeviceOption;
import dev.cortado.proto.SerializationOptions;
import dev.cortado.proto.TensorProto;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import dev.cortado.workspace.Workspace;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SaveLoadTest {
  @TempDir Path root;

  /** Every record of a DB in backend order: key -> parsed BlobProto. */
  static Map<String, BlobProto> records(String type, String path) {
    Map<String, BlobProto> out = new LinkedHashMap<>();
    try (Db db = RUNTIME.dbs().open(type, path, Mode.READ);
        Cursor c = db.newCursor()) {
      for (; c.valid(); c.next()) {
        ByteBuffer k = c.key();
        byte[] v = new byte[c.value().remaining()];
        c.value().duplicate().get(v);
        try {
          out.put(StandardCharsets.UTF_8.decode(k.duplicate()).toString(), BlobProto.parseFrom(v));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          throw new AssertionError(e);
        }
      }
    }
    return out;
  }

  /** Writes hand-made records (key, BlobProto) in order, as Caffe2 would have. */
  static void writeRecords(String type, String path, Map<String, BlobProto> records) {
    try (Db db = RUNTIME.dbs().open(type, path, Mode.NEW);
        Transaction tx = db.newTransaction()) {
      for (Map.Entry<String, BlobProto> e : records.entrySet()) {
        tx.put(e.getKey().getBytes(StandardCharsets.UTF_8), e.getValue().toByteArray());
      }
      tx.commit();
    }
  }

  static BlobProto tensorBlob(String name, TensorProto.Builder t) {
    return BlobProto.newBuilder()
        .setName(name)
        .setType("Tensor")
        .setTensor(t.setName(name))
        .build();
  }

  static Map<String, Object> sampleBlobs() {
    Map<String, Object> blobs = new LinkedHashMap<>();
    blobs.put("w", floats(new long[] {2, 3}, 1, 2, 3, 4, Float.NaN, -0f));
    blobs.put("i32", ints(1, -2, Integer.MAX_VALUE));
    blobs.put("i64", longs(Long.MIN_VALUE));
    blobs.put("d", doubles(0.1, 1e300));
    blobs.put("u8", bytes(DataType.UINT8, 0, 255, 7));
    blobs.put("byte", bytes(DataType.BYTE, 9, 8));
    blobs.put("i8", bytes(DataType.INT8, -128, 127));
    blobs.put("b", bytes(DataType.BOOL, 1, 0, 1));
    blobs.put("u16", shorts(DataType.UINT16, 65535, 1));
    blobs.put("i16", shorts(DataType.INT16, -32768));
    blobs.put("half", shorts(DataType.FLOAT16, 0x3C00, 0x7E00));
    blobs.put("scalar", Tensor.allocate(DataType.INT32));
    blobs.put("empty", Tensor.allocate(DataType.FLOAT, 0, 4));
    blobs.put(
        "strs",
        Tensor.ofStrings(
            new long[] {3},
            new byte[][] {{}, {0, (byte) 0xff}, "ü".getBytes(StandardCharsets.UTF_8)}));
    blobs.put("text", "hello");
    blobs.put("counter", new Counter(42));
    return blobs;
  }

  @ParameterizedTest
  @ValueSource(strings = {"minidb", "memory"})
  void saveThenLoadRoundTripsEveryKindOfBlob(String type) {
    Map<String, Object> blobs = sampleBlobs();
    String names =
        String.join("", blobs.keySet().stream().map(n -> " input: '" + n + "'").toList());
    String outs =
        String.join("", blobs.keySet().stream().map(n -> " output: '" + n + "'").toList());
    String db = type.equals("memory") ? "roundtrip-" + root.getFileName() : "model.minidb";
    try (Workspace ws = workspace(root)) {
      blobs.forEach((n, v) -> ws.createBlob(n).set(v));
      ws.runOperatorOnce(
          op(
              "type: 'Save'"
                  + names
                  + " arg { name: 'db' s: '"
                  + db
                  + "' }"
                  + " arg { name: 'db_type' s: '"
                  + type
                  + "' }"));
    }
    try (Workspace ws = workspace(root)) {
      ws.runOperatorOnce(
          op(
              "type: 'Load'"
                  + outs
                  + " arg { name: 'db' s: '"
                  + db
                  + "' }"
                  + " arg { name: 'db_type' s: '"
                  + type
                  + "' }"));
      for (Map.Entry<String, Object> e : blobs.entrySet()) {
        Object loaded = ws.blob(e.getKey()).get();
        if (e.getValue() instanceof Tensor t) {
          assertThat(((Tensor) loaded).contentEquals(t)).as(e.getKey()).isTrue();
        } else if (e.getValue() instanceof Counter c) {
          assertThat(((Counter) loaded).retrieve()).isEqualTo(c.retrieve());
        } else {
          assertThat(loaded).isEqualTo(e.getValue());
        }
      }
    }
  }

  @Test
  void saveWritesCaffe2sLayout() {
    try (Workspace ws = workspace(root)) {
      ws.createBlob("w").set(floats(1, 2, 3));
      ws.createBlob("s").set("str");
      ws.createBlob("c").set(new Counter(3));
      ws.runOperatorOnce(
          op(
              "type: 'Save' input: 'w' input: 's' input: 'c'"
                  + " arg { name: 'db' s: 'layout.minidb' } arg { name: 'db_type' s: 'minidb' }"));
    }
    Map<String, BlobProto> recs = records("minidb", root.resolve("layout.minidb").toString());
    assertThat(recs.keySet()).containsExactly("w#%0", "s", "c");
    BlobProto w = recs.get("w#%0");
    assertThat(w.getName()).isEqualTo("w");
    assertThat(w.getType()).isEqualTo("Tensor");
    assertThat(w.getTensor().getName()).isEqualTo("w");
    assertThat(w.getTensor().getDataType()).isEqualTo(TensorProto.DataType.FLOAT);
    assertThat(w.getTensor().getDimsList()).containsExactly(3L);
    assertThat(w.getTensor().getFloatDataList()).containsExactly(1f, 2f, 3f);
    assertThat(w.getTensor().getSegment().getBegin()).isZero();
    assertThat(w.getTensor().getSegment().getEnd()).isEqualTo(3);
    assertThat(w.getTensor().hasDeviceDetail()).isFalse();
    assertThat(recs.get("s").getType()).isEqualTo("std::string");
    assertThat(recs.get("s").getContent().toStringUtf8()).isEqualTo("str");
    BlobProto c = recs.get("c");
    assertThat(c.getType()).isEqualTo("std::unique_ptr<Counter<int64_t>>");
    assertThat(c.getTensor().getDimsList()).containsExactly(1L);
    assertThat(c.getTensor().getInt64DataList()).containsExactly(3L);
  }

  @Test
  void chunkSizeSplitsTensorsAndLoadReassemblesThem() {
    try (Workspace ws = workspace(root)) {
      ws.createBlob("w").set(ints(0, 1, 2, 3, 4));
      ws.createBlob("v").set(ints(5, 6, 7));
      ws.createBlob("e").set(Tensor.allocate(DataType.INT32, 0));
      ws.runOperatorOnce(
          op(
              "type: 'Save' input: 'w' input: 'v' input: 'e'"
                  + " arg { name: 'db' s: 'chunks.minidb' } arg { name: 'db_type' s: 'minidb' }"
                  + " arg { name: 'chunk_size' i: 2 }"));
      Map<String, BlobProto> recs = records("minidb", root.resolve("chunks.minidb").toString());
      assertThat(recs.keySet()).containsExactly("w#%0", "w#%1", "w#%2", "v#%0", "v#%1", "e#%0");
      TensorProto last = recs.get("w#%2").getTensor();
      assertThat(last.getSegment().getBegin()).isEqualTo(4);
      assertThat(last.getSegment().getEnd()).isEqualTo(5);
      assertThat(last.getInt32DataList()).containsExactly(4);
      assertThat(last.getDimsList()).containsExactly(5L);
      ws.runOperatorOnce(
          op(
              "type: 'Load' output: 'w' output: 'v' output: 'e'"
                  + " arg { name: 'db' s: 'chunks.minidb' } arg { name: 'db_type' s: 'minidb' }"));
      assertThat(intsOf(ws.blob("w").tensor())).containsExactly(0, 1, 2, 3, 4);
      assertThat(ws.blob("e").tensor().dims()).containsExactly(0);

      ws.runOperatorOnce(
          op(
              "type: 'Save' input: 'w' input: 'v'"
                  + " arg { name: 'db' s: 'whole.minidb' } arg { name: 'db_type' s: 'minidb' }"
                  + " arg { name: 'chunk_size' i: 0 }"));
      assertThat(records("minidb", root.resolve("whole.minidb").toString()).keySet())
          .containsExactly("w#%0", "v#%0");

      byte[] options =
          SerializationOptions.newBuilder()
              .addOptions(
                  BlobSerializationOptions.newBuilder().setBlobNameRegex("w").setChunkSize(3))
              .addOptions(BlobSerializationOptions.newBuilder().setChunkSize(-1))
              .build()
              .toByteArray();
      ws.runOperatorOnce(
          op(
              "type: 'Save' input: 'w' input: 'v'"
                  + " arg { name: 'db' s: 'opts.minidb' } arg { name: 'db_type' s: 'minidb' }"
                  + " arg { name: 'options' s: '"
                  + escape(options)
                  + "' }"));
      assertThat(records("minidb", root.resolve("opts.minidb").toString()).keySet())
          .containsExactly("w#%0", "w#%1", "v#%0");
    }
  }

  static String escape(byte[] bytes) {
    StringBuilder sb = new StringBuilder();
    for (byte b : bytes) {
      sb.append(String.format("\\%03o", b & 0xFF));
    }
    return sb.toString();
  }

  @Test
  void loadDerivesNamesByCuttingStrippingAndPrefixing() {
    // §14 of docs/caffe2-semantics.md: key a/b/w#%7 with strip_prefix "b/" and add_prefix "x_"
    // loads as x_w.
    Map<String, BlobProto> recs = new LinkedHashMap<>();
    recs.put(
        "a/b/w#%7",
        tensorBlob(
            "a/b/w",
            TensorProto.newBuilder()
                .addDims(1)
                .setDataType(TensorProto.DataType.FLOAT)
                .addFloatData(2.5f)));
    recs.put(
        "other",
        BlobProto.newBuilder()
            .setName("other")
            .setType("std::string")
            .setContent(ByteString.copyFromUtf8("ignored"))
            .build());
    writeRecords("minidb", root.resolve("p.minidb").toString(), recs);
    try (Workspace ws = workspace(root)) {
      ws.runOperatorOnce(
          op(
              "type: 'Load' output: 'x_w' arg { name: 'db' s: 'p.minidb' }"
                  + " arg { name: 'db_type' s: 'minidb' } arg { name: 'strip_prefix' s: 'b/' }"
                  + " arg { name: 'add_prefix' s: 'x_' }"));
      assertThat(floatsOf(ws.blob("x_w").tensor())).containsExactly(2.5f);
      assertThat(ws.hasBlob("x_other")).isFalse();
      ws.runOperatorOnce(
          op(
              "type: 'Load' output: 'mine' arg { name: 'db' s: 'p.minidb' }"
                  + " arg { name: 'db_type' s: 'minidb' } arg { name: 'source_blob_names' strings: 'other' }"));
      assertThat(ws.blob("mine").get()).isEqualTo("ignored");
      ws.runOperatorOnce(
          op(
              "type: 'Load' arg { name: 'db' s: 'p.minidb' }"
                  + " arg { name: 'db_type' s: 'minidb' } arg { name: 'load_all' i: 1 }"
                  + " arg { name: 'add_prefix' s: 'all/' }"));
      assertThat(ws.blob("all/a/b/w").tensor().numel()).isEqualTo(1);
      assertThat(ws.blob("all/other").get()).isEqualTo("ignored");
    }
  }

  @Test
  void saveNamesFromStripPrefixOrOverrides() {
    try (Workspace ws = workspace(root)) {
      ws.createBlob("gpu_0/w").set(floats(1));
      ws.createBlob("gpu_0/b").set(floats(2));
      ws.runOperatorOnce(
          op(
              "type: 'Save' input: 'gpu_0/w' input: 'gpu_0/b'"
                  + " arg { name: 'db' s: 's.minidb' } arg { name: 'db_type' s: 'minidb' }"
                  + " arg { name: 'strip_prefix' s: 'gpu_0/' }"));
      assertThat(records("minidb", root.resolve("s.minidb").toString()).keySet())
          .containsExactly("w#%0", "b#%0");
      ws.runOperatorOnce(
          op(
              "type: 'Save' input: 'gpu_0/w' input: 'gpu_0/b'"
                  + " arg { name: 'db' s: 'o.minidb' } arg { name: 'db_type' s: 'minidb' }"
                  + " arg { name: 'blob_name_overrides' strings: 'W' strings: 'B' }"));
      assertThat(records("minidb", root.resolve("o.minidb").toString()).keySet())
          .containsExactly("W#%0", "B#%0");
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'Save' input: 'gpu_0/w' input: 'gpu_0/b'"
                              + " arg { name: 'db' s: 'x.minidb' } arg { name: 'db_type' s: 'minidb' }"
                              + " arg { name: 'blob_name_overrides' strings: 'W' strings: 'W' }")))
          .hasMessageContaining("duplicated input: two inputs would be saved as 'W'");
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'Save' input: 'gpu_0/w'"
                              + " arg { name: 'db' s: 'x.minidb' } arg { name: 'db_type' s: 'minidb' }"
                              + " arg { name: 'blob_name_overrides' strings: 'W' strings: 'B' }")))
          .hasMessageContaining("has 2 names for 1 inputs");
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'Save' input: 'gpu_0/w'"
                              + " arg { name: 'db' s: 'x.minidb' } arg { name: 'db_type' s: 'minidb' }"
                              + " arg { name: 'strip_prefix' s: 'g' } arg { name: 'blob_name_overrides' strings: 'W' }")))
          .hasMessageContaining("mutually exclusive");
      ws.createBlob("obj").set(new Object());
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'Save' input: 'obj'"
                              + " arg { name: 'db' s: 'x.minidb' } arg { name: 'db_type' s: 'minidb' }")))
          .hasMessageContaining("no known serializer for input 'obj' holding java.lang.Object");
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'Save' input: 'obj'"
                              + " arg { name: 'db' s: 'x' } arg { name: 'db_type' s: 'nosuch' }")))
          .hasMessageContaining("unknown db_type 'nosuch'");
    }
  }

  @Test
  void absolutePathIgnoresTheRootFolder(@TempDir Path elsewhere) {
    String abs = elsewhere.resolve("abs.minidb").toString();
    try (Workspace ws = workspace(root)) {
      ws.createBlob("w").set(floats(1));
      ws.runOperatorOnce(
          op(
              "type: 'Save' input: 'w' arg { name: 'db' s: '"
                  + abs
                  + "' }"
                  + " arg { name: 'db_type' s: 'minidb' } arg { name: 'absolute_path' i: 1 }"));
      assertThat(records("minidb", abs)).containsKey("w#%0");
      ws.runOperatorOnce(
          op(
              "type: 'Load' output: 'w' arg { name: 'db' s: '"
                  + abs
                  + "' }"
                  + " arg { name: 'db_type' s: 'minidb' } arg { name: 'absolute_path' i: 1 }"));
    }
  }

  @Test
  void loadsAHandBuiltCaffe2Db() {
    Map<String, BlobProto> recs = new LinkedHashMap<>();
    // 2018 layout: no data_type (FLOAT by default), no segment, a CUDA device detail.
    recs.put(
        "fc_w#%0",
        BlobProto.newBuilder()
            .setName("fc_w")
            .setType("Tensor")
            .setTensor(
                TensorProto.newBuilder()
                    .setName("fc_w")
                    .addDims(2)
                    .addDims(2)
                    .addFloatData(1)
                    .addFloatData(2)
                    .addFloatData(3)
                    .addFloatData(4)
                    .setDeviceDetail(DeviceOption.newBuilder().setDeviceType(1).setDeviceId(0)))
            .build());
    // Chunks out of order, as Caffe2's threaded serializer may write them.
    for (int[] seg : new int[][] {{4, 6}, {0, 2}, {2, 4}}) {
      TensorProto.Builder t =
          TensorProto.newBuilder()
              .addDims(6)
              .setDataType(TensorProto.DataType.INT32)
              .setSegment(TensorProto.Segment.newBuilder().setBegin(seg[0]).setEnd(seg[1]));
      for (int i = seg[0]; i < seg[1]; i++) {
        t.addInt32Data(i * 10);
      }
      recs.put("ids#%" + (seg[0] / 2), tensorBlob("ids", t));
    }
    recs.put(
        "step#%0",
        tensorBlob(
            "step",
            TensorProto.newBuilder().setDataType(TensorProto.DataType.INT64).addInt64Data(1000)));
    writeRecords("minidb", root.resolve("caffe2.minidb").toString(), recs);
    try (Workspace ws = workspace(root)) {
      String load =
          "type: 'Load' output: 'fc_w' output: 'ids' output: 'step'"
              + " arg { name: 'db' s: 'caffe2.minidb' } arg { name: 'db_type' s: 'minidb' }";
      ws.runOperatorOnce(op(load));
      Tensor w = ws.blob("fc_w").tensor();
      assertThat(w.dims()).containsExactly(2, 2);
      assertThat(floatsOf(w)).containsExactly(1f, 2f, 3f, 4f);
      assertThat(intsOf(ws.blob("ids").tensor())).containsExactly(0, 10, 20, 30, 40, 50);
      assertThat(ws.blob("step").tensor().rank()).isZero();
      assertThat(longsOf(ws.blob("step").tensor())).containsExactly(1000L);
      assertThatThrownBy(() -> ws.runOperatorOnce(op(load + " arg { name: 'keep_device' i: 1 }")))
          .hasMessageContaining("record 'fc_w#%0' was saved on device type 1 and keep_device=1");
    }
  }

  @Test
  void loadCompletenessErrors() {
    Map<String, BlobProto> recs = new LinkedHashMap<>();
    TensorProto.Builder part =
        TensorProto.newBuilder()
            .addDims(4)
            .setDataType(TensorProto.DataType.INT32)
            .setSegment(TensorProto.Segment.newBuilder().setBegin(0).setEnd(2))
            .addInt32Data(1)
            .addInt32Data(2);
    recs.put("half#%0", tensorBlob("half", part));
    recs.put("s", BlobProto.newBuilder().setName("s").setType("std::string").build());
    writeRecords("minidb", root.resolve("half.minidb").toString(), recs);
    Map<String, BlobProto> overlap = new LinkedHashMap<>();
    overlap.put("t#%0", tensorBlob("t", part.clone()));
    overlap.put("t#%1", tensorBlob("t", part.clone()));
    writeRecords("minidb", root.resolve("overlap.minidb").toString(), overlap);
    Map<String, BlobProto> dup = new LinkedHashMap<>();
    dup.put("s", recs.get("s"));
    dup.put("s#%1", recs.get("s"));
    writeRecords("minidb", root.resolve("dup.minidb").toString(), dup);
    Map<String, BlobProto> weird = new LinkedHashMap<>();
    weird.put("q", BlobProto.newBuilder().setName("q").setType("QTensor").build());
    writeRecords("minidb", root.resolve("weird.minidb").toString(), weird);
    try (Workspace ws = workspace(root)) {
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'Load' output: 'half'"
                              + " arg { name: 'db' s: 'half.minidb' } arg { name: 'db_type' s: 'minidb' }")))
          .hasMessageContaining("data size mismatch for blob 'half': expected 4 elements, read 2");
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'Load' output: 't'"
                              + " arg { name: 'db' s: 'overlap.minidb' } arg { name: 'db_type' s: 'minidb' }")))
          .hasMessageContaining("chunk [0, 2) of tensor 't' overlaps a chunk read earlier");
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'Load' output: 's'"
                              + " arg { name: 'db' s: 'dup.minidb' } arg { name: 'db_type' s: 'minidb' }"
                              + " arg { name: 'load_all' i: 1 }")))
          .hasMessageContaining("blob duplicated: 's'");
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'Load' output: 's' output: 'nope'"
                              + " arg { name: 'db' s: 'half.minidb' } arg { name: 'db_type' s: 'minidb' }")))
          .hasMessageContaining("expected to load 2 blobs, got 1 only; missing [nope]");
      ws.runOperatorOnce(
          op(
              "type: 'Load' output: 's' output: 'nope'"
                  + " arg { name: 'db' s: 'half.minidb' } arg { name: 'db_type' s: 'minidb' }"
                  + " arg { name: 'allow_incomplete' i: 1 }"));
      assertThat(ws.blob("s").get()).isEqualTo("");
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'Load' output: 's'"
                              + " arg { name: 'dbs' strings: 'half.minidb' strings: 'dup.minidb' }"
                              + " arg { name: 'db_type' s: 'minidb' }")))
          .hasMessageContaining("duplicate key: blob 's' is found in two DBs");
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'Load' output: 'q'"
                              + " arg { name: 'db' s: 'weird.minidb' } arg { name: 'db_type' s: 'minidb' }")))
          .hasMessageContaining("no registered deserializer for type 'QTensor' (record 'q')");
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'Load' output: 'q'"
                              + " arg { name: 'dbs' strings: 'a' strings: 'a' } arg { name: 'db_type' s: 'minidb' }")))
          .hasMessageContaining("names the db 'a' twice");
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op("type: 'Load' output: 'q'" + " arg { name: 'db_type' s: 'minidb' }")))
          .hasMessageContaining("must specify a db name");
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(op("type: 'Load' output: 'q'" + " arg { name: 'db' s: 'x' }")))
          .hasMessageContaining("must specify a db type");
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'Load' output: 'q' output: 'r'"
                              + " arg { name: 'db' s: 'x' } arg { name: 'db_type' s: 'minidb' }"
                              + " arg { name: 'source_blob_names' strings: 'a' }")))
          .hasMessageContaining("has 1 names for 2 outputs");
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'Load' output: 'q'"
                              + " arg { name: 'db' s: 'x' } arg { name: 'db_type' s: 'minidb' }"
                              + " arg { name: 'load_all' i: 1 } arg { name: 'source_blob_names' strings: 'a' }")))
          .hasMessageContaining("load_all cannot be used together with source_blob_names");
    }
  }

  @Test
  void loadFromAReaderStartsAtItsCurrentRecordAndLeavesItThere() {
    try (Workspace ws = workspace(root)) {
      ws.createBlob("a").set(floats(1));
      ws.createBlob("b").set(floats(2));
      ws.createBlob("c").set(floats(3));
      ws.runOperatorOnce(
          op(
              "type: 'Save' input: 'a' input: 'b' input: 'c'"
                  + " arg { name: 'db' s: 'r.minidb' } arg { name: 'db_type' s: 'minidb' }"));
      ws.runOperatorOnce(
          op(
              "type: 'CreateDB' output: 'reader' arg { name: 'db_type' s: 'minidb' }"
                  + " arg { name: 'db' s: '"
                  + root.resolve("r.minidb")
                  + "' }"));
      DbReader reader = ws.blob("reader").get(DbReader.class);
      reader.read();
      ws.runOperatorOnce(
          op(
              "type: 'Load' input: 'reader' output: 'b2' output: 'c2'"
                  + " arg { name: 'source_blob_names' strings: 'b' strings: 'c' }"));
      assertThat(floatsOf(ws.blob("c2").tensor())).containsExactly(3f);
      assertThat(new String(reader.read().key(), StandardCharsets.UTF_8)).isEqualTo("b#%0");
      assertThatThrownBy(() -> ws.runOperatorOnce(op("type: 'Load' input: 'reader' output: 'a'")))
          .hasMessageContaining("expected to load 1 blobs, got 0 only; missing [a]");
    }
  }

  @Test
  void aDbReaderBlobIsSavedAsACheckpointAndLoadedBack() {
    try (Workspace ws = workspace(root)) {
      DbOpsTest.write("minidb", root.resolve("data.minidb").toString(), 5);
      ws.runOperatorOnce(
          op(
              "type: 'CreateDB' output: 'reader' arg { name: 'db_type' s: 'minidb' }"
                  + " arg { name: 'db' s: '"
                  + root.resolve("data.minidb")
                  + "' }"));
      DbReader reader = ws.blob("reader").get(DbReader.class);
      reader.read();
      reader.read();
      ws.runOperatorOnce(
          op(
              "type: 'Save' input: 'reader'"
                  + " arg { name: 'db' s: 'ckpt.minidb' } arg { name: 'db_type' s: 'minidb' }"));
      assertThat(records("minidb", root.resolve("ckpt.minidb").toString()).get("reader").getType())
          .isEqualTo("DBReader");
      ws.runOperatorOnce(
          op(
              "type: 'Load' output: 'restored'"
                  + " arg { name: 'db' s: 'ckpt.minidb' } arg { name: 'db_type' s: 'minidb' }"
                  + " arg { name: 'source_blob_names' strings: 'reader' }"));
      DbReader restored = ws.blob("restored").get(DbReader.class);
      assertThat(new String(restored.read().key(), StandardCharsets.UTF_8)).isEqualTo("k2");
    }
  }

  @Test
  void saveRecreatesTheDb() {
    try (Workspace ws = workspace(root)) {
      ws.createBlob("a").set(floats(1));
      ws.createBlob("b").set(floats(2));
      ws.runOperatorOnce(
          op(
              "type: 'Save' input: 'a' input: 'b'"
                  + " arg { name: 'db' s: 'again.minidb' } arg { name: 'db_type' s: 'minidb' }"));
      ws.runOperatorOnce(
          op(
              "type: 'Save' input: 'b'"
                  + " arg { name: 'db' s: 'again.minidb' } arg { name: 'db_type' s: 'minidb' }"));
      List<String> keys =
          new ArrayList<>(records("minidb", root.resolve("again.minidb").toString()).keySet());
      assertThat(keys).containsExactly("b#%0");
    }
  }

  /** A chunk is checked in full, and the tensor allocated only once its chunks are read. */
  @Test
  void loadAllocatesOnlyWhatTheChunksHold() {
    TensorProto.Segment first = TensorProto.Segment.newBuilder().setBegin(0).setEnd(1).build();
    Map<String, TensorProto.Builder> lies = new LinkedHashMap<>();
    lies.put(
        "strings",
        TensorProto.newBuilder()
            .addDims(1_000_000_000L)
            .setDataType(TensorProto.DataType.STRING)
            .addStringData(ByteString.copyFromUtf8("a"))
            .setSegment(first));
    lies.put(
        "floats",
        TensorProto.newBuilder()
            .addDims(400_000_000L)
            .setDataType(TensorProto.DataType.FLOAT)
            .addFloatData(1)
            .setSegment(first));
    lies.put(
        "huge",
        TensorProto.newBuilder()
            .addDims(1_000_000_000L)
            .addDims(1_000_000_000L)
            .setDataType(TensorProto.DataType.FLOAT)
            .addFloatData(1)
            .setSegment(first));
    lies.put(
        "short",
        TensorProto.newBuilder()
            .addDims(4)
            .setDataType(TensorProto.DataType.INT32)
            .addInt32Data(1)
            .setSegment(TensorProto.Segment.newBuilder().setBegin(0).setEnd(2)));
    lies.put(
        "outside",
        TensorProto.newBuilder()
            .addDims(4)
            .setDataType(TensorProto.DataType.INT32)
            .addInt32Data(1)
            .setSegment(TensorProto.Segment.newBuilder().setBegin(3).setEnd(5)));
    Map<String, String> expected =
        Map.of(
            "strings",
                "data size mismatch for blob 'strings': expected 1000000000 elements, read 1"
                    + " (first record 'strings#%0')",
            "floats",
                "data size mismatch for blob 'floats': expected 400000000 elements, read 1"
                    + " (first record 'floats#%0')",
            "huge", "record 'huge#%0': shape [1000000000,1000000000] declares more than",
            "short", "record 'short#%0' (chunk [0, 2) of INT32 [4])",
            "outside", "record 'outside#%0': invalid chunk: segment [3, 5)");
    try (Workspace ws = workspace(root)) {
      for (Map.Entry<String, TensorProto.Builder> e : lies.entrySet()) {
        String name = e.getKey();
        writeRecords(
            "minidb",
            root.resolve(name + ".minidb").toString(),
            Map.of(name + "#%0", tensorBlob(name, e.getValue())));
        assertThatThrownBy(
                () ->
                    ws.runOperatorOnce(
                        op(
                            "type: 'Load' output: '"
                                + name
                                + "'"
                                + " arg { name: 'db' s: '"
                                + name
                                + ".minidb' } arg { name: 'db_type' s: 'minidb' }")))
            .isInstanceOf(CortadoException.class)
            .hasMessageContaining(expected.get(name));
      }
    }
  }

  @Test
  void loadReassemblesChunksInAnyOrderAndChecksTheirHeaders() {
    Map<String, BlobProto> recs = new LinkedHashMap<>();
    for (int[] seg : new int[][] {{2, 4}, {0, 2}}) {
      TensorProto.Builder s =
          TensorProto.newBuilder()
              .addDims(2)
              .addDims(2)
              .setDataType(TensorProto.DataType.STRING)
              .setSegment(TensorProto.Segment.newBuilder().setBegin(seg[0]).setEnd(seg[1]));
      TensorProto.Builder f =
          TensorProto.newBuilder()
              .addDims(4)
              .setDataType(TensorProto.DataType.FLOAT)
              .setSegment(TensorProto.Segment.newBuilder().setBegin(seg[0]).setEnd(seg[1]));
      for (int i = seg[0]; i < seg[1]; i++) {
        s.addStringData(ByteString.copyFromUtf8("s" + i));
        f.addFloatData(i + 0.5f);
      }
      recs.put("s#%" + seg[0], tensorBlob("s", s));
      recs.put("f#%" + seg[0], tensorBlob("f", f));
    }
    writeRecords("minidb", root.resolve("parts.minidb").toString(), recs);
    Map<String, BlobProto> mixed = new LinkedHashMap<>();
    mixed.put(
        "m#%0",
        tensorBlob(
            "m",
            TensorProto.newBuilder()
                .addDims(4)
                .setDataType(TensorProto.DataType.INT32)
                .addInt32Data(1)
                .addInt32Data(2)
                .setSegment(TensorProto.Segment.newBuilder().setBegin(0).setEnd(2))));
    mixed.put(
        "m#%1",
        tensorBlob(
            "m",
            TensorProto.newBuilder()
                .addDims(4)
                .setDataType(TensorProto.DataType.INT64)
                .addInt64Data(3)
                .addInt64Data(4)
                .setSegment(TensorProto.Segment.newBuilder().setBegin(2).setEnd(4))));
    writeRecords("minidb", root.resolve("mixed.minidb").toString(), mixed);
    try (Workspace ws = workspace(root)) {
      ws.runOperatorOnce(
          op(
              "type: 'Load' output: 's' output: 'f'"
                  + " arg { name: 'db' s: 'parts.minidb' } arg { name: 'db_type' s: 'minidb' }"));
      Tensor s = ws.blob("s").get(Tensor.class);
      assertThat(s.dims()).containsExactly(2, 2);
      List<String> values = new ArrayList<>();
      for (byte[] b : s.strings()) {
        values.add(new String(b, StandardCharsets.UTF_8));
      }
      assertThat(values).containsExactly("s0", "s1", "s2", "s3");
      assertThat(floatsOf(ws.blob("f").get(Tensor.class))).containsExactly(0.5f, 1.5f, 2.5f, 3.5f);
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'Load' output: 'm'"
                              + " arg { name: 'db' s: 'mixed.minidb' } arg { name: 'db_type' s: 'minidb' }")))
          .hasMessageContaining(
              "record 'm#%1': chunk of INT64 [4] does not fit the tensor INT32 [4]");
    }
  }

  /** A regex that does not compile is the argument's error, before the operator runs. */
  @Test
  void saveRefusesARegexThatDoesNotCompile() {
    byte[] options =
        SerializationOptions.newBuilder()
            .addOptions(BlobSerializationOptions.newBuilder().setBlobNameRegex("(").setChunkSize(3))
            .build()
            .toByteArray();
    try (Workspace ws = workspace(root)) {
      ws.createBlob("w").set(floats(1f, 2f));
      assertThatThrownBy(
              () ->
                  ws.runOperatorOnce(
                      op(
                          "type: 'Save' input: 'w'"
                              + " arg { name: 'db' s: 'bad.minidb' } arg { name: 'db_type' s: 'minidb' }"
                              + " arg { name: 'options' s: '"
                              + escape(options)
                              + "' }")))
          .isInstanceOf(ArgumentException.class)
          .hasMessageContaining("options")
          .hasMessageContaining("blob_name_regex that does not compile: '('");
    }
  }
}
