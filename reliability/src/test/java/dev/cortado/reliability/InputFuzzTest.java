package dev.cortado.reliability;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cortado.CortadoException;
import dev.cortado.cpu.input.TensorProtosDbInput;
import dev.cortado.net.Net;
import dev.cortado.proto.OperatorDef;
import dev.cortado.reliability.Dbs.Rec;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.DecodeException;
import dev.cortado.tensor.Tensor;
import dev.cortado.tensor.TensorProtoCodec;
import dev.cortado.workspace.Workspace;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * TensorProtosDBInput over an in-memory DB of fuzzed values. Every run must either give exactly the
 * batch the reference decoder implies (each record decoded by protobuf-java, stacked in reader
 * order across the wrap) or, at the first batch holding a record that the reference rejects or that
 * does not match the first record's layout, a CortadoException naming that record's key; the runs
 * after it fail too, closing frees every pooled byte, and each input is done within 10 s.
 *
 * <p>Input layout: byte 0 picks batch_size (0..8), byte 1 the output count (1..3), byte 2 the
 * decode threads (1..3) and the prefetch depth (0 = no_prefetch, 1..3); the rest is up to 16
 * values, each a u16 little-endian length and that many bytes.
 */
class InputFuzzTest {
  private static final Bounded BOUND = new Bounded("input-fuzz-worker");
  private static final int MAX_RECORDS = 16;
  private static final int MAX_RUNS = 12;

  @FuzzTest(maxDuration = "10m")
  void batchesMatchTheReferenceOrFailCleanly(byte[] input) {
    BOUND.run(Duration.ofSeconds(10), () -> check(input));
  }

  private record Setup(
      int batchSize, int outputs, int decodeThreads, int depth, List<byte[]> values) {}

  static Setup parse(byte[] in) {
    int b0 = in.length > 0 ? in[0] & 0xff : 0;
    int b1 = in.length > 1 ? in[1] & 0xff : 0;
    int b2 = in.length > 2 ? in[2] & 0xff : 0;
    List<byte[]> values = new ArrayList<>();
    int pos = 3;
    while (pos < in.length && values.size() < MAX_RECORDS) {
      int len = in[pos] & 0xff;
      if (pos + 1 < in.length) {
        len |= (in[pos + 1] & 0xff) << 8;
      }
      pos += 2;
      int end = Math.min(in.length, pos + len);
      values.add(Arrays.copyOfRange(in, Math.min(pos, in.length), end));
      pos = end;
    }
    return new Setup(b0 % 9, 1 + b1 % 3, 1 + (b2 & 3) % 3, (b2 >> 2) & 3, values);
  }

  private static void check(byte[] input) throws Exception {
    Setup s = parse(input);
    int n = s.values().size();
    List<Rec> records = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      records.add(new Rec(Dbs.key(i), s.values().get(i)));
    }
    String source = Dbs.newSource("memory", null);
    Dbs.write("memory", source, records);
    Workspace ws = Nets.RUNTIME.newWorkspace();
    TensorProtosDbInput operator = null;
    try {
      if (n == 0) {
        expectError(
            "empty DB",
            () -> ws.runNetOnce(Nets.net("init", "", Nets.createDb("memory", source, "reader"))),
            null);
        return;
      }
      ws.runNetOnce(Nets.net("init", "", Nets.createDb("memory", source, "reader")));
      OperatorDef.Builder op =
          OperatorDef.newBuilder()
              .setType("TensorProtosDBInput")
              .setName("fuzzed")
              .addInput("reader")
              .addArg(Nets.arg("batch_size", s.batchSize()))
              .addArg(Nets.arg("decode_threads", s.decodeThreads()));
      if (s.depth() == 0) {
        op.addArg(Nets.arg("no_prefetch", 1));
      } else {
        op.addArg(Nets.arg("prefetch_depth", s.depth()));
      }
      for (int i = 0; i < s.outputs(); i++) {
        op.addOutput("out" + i);
      }
      Net net = ws.createNet(Nets.net("read", "", op.build()));
      operator = (TensorProtosDbInput) net.operators().get(0);
      runAndCompare(ws, net, s, records);
    } finally {
      ws.close();
      Dbs.drop("memory", source);
    }
    if (operator != null && operator.pool().bytesLent() != 0) {
      throw new AssertionError(
          "closing left " + operator.pool().bytesLent() + " pooled bytes lent");
    }
  }

  private static void runAndCompare(Workspace ws, Net net, Setup s, List<Rec> records) {
    int n = records.size();
    int rows = Math.max(s.batchSize(), 1);
    boolean batched = s.batchSize() > 0;
    List<List<Tensor>> ref = new ArrayList<>();
    for (Rec r : records) {
      List<Tensor> decoded;
      try {
        decoded = TensorProtoCodec.decodeRecord(ByteBuffer.wrap(r.value()), r.keyString());
      } catch (DecodeException e) {
        decoded = null;
      }
      ref.add(decoded);
    }
    boolean[] ok = new boolean[n];
    for (int i = 0; i < n; i++) {
      List<Tensor> t = ref.get(i);
      // Batching: the first record read (record 0) fixes every output's type and shape.
      ok[i] = t != null && t.size() == s.outputs() && (!batched || sameLayout(t, ref.get(0)));
    }
    int runs = Math.min(MAX_RUNS, (n + rows - 1) / rows + 1);
    for (int r = 0; r < runs; r++) {
      int bad = -1;
      for (int j = 0; j < rows && bad < 0; j++) {
        int p = (r * rows + j) % n;
        if (!ok[p]) {
          bad = p;
        }
      }
      if (bad >= 0) {
        String key = records.get(bad).keyString();
        expectError("run " + r + " (record " + key + ")", net::run, key);
        expectError("the run after the failure", net::run, null);
        return;
      }
      try {
        net.run();
      } catch (CortadoException e) {
        throw new AssertionError(
            "run "
                + r
                + " failed though the reference decodes every record"
                + " of its batch: "
                + e.getMessage(),
            e);
      }
      for (int i = 0; i < s.outputs(); i++) {
        Tensor got = ws.blob("out" + i).tensor();
        for (int j = 0; j < rows; j++) {
          int p = (r * rows + j) % n;
          compareSlot(
              got,
              j,
              batched ? rows : -1,
              ref.get(p).get(i),
              "run "
                  + r
                  + " output "
                  + i
                  + " slot "
                  + j
                  + " (record "
                  + records.get(p).keyString()
                  + ")");
        }
      }
    }
  }

  private static boolean sameLayout(List<Tensor> a, List<Tensor> b) {
    if (b == null || a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (a.get(i).dataType() != b.get(i).dataType()
          || !Arrays.equals(a.get(i).dims(), b.get(i).dims())) {
        return false;
      }
    }
    return true;
  }

  /**
   * Compares slot {@code slot} of {@code batch} ({@code rows} slots, -1 unbatched) with a record.
   */
  private static void compareSlot(Tensor batch, int slot, int rows, Tensor expected, String where) {
    long[] dims = rows > 0 ? prepend(rows, expected.dims()) : expected.dims();
    if (batch.dataType() != expected.dataType() || !Arrays.equals(batch.dims(), dims)) {
      throw new AssertionError(
          where
              + ": got "
              + batch
              + ", expected "
              + expected.dataType()
              + " "
              + Arrays.toString(dims));
    }
    long numel = expected.numel();
    if (expected.dataType() == DataType.STRING) {
      for (long e = 0; e < numel; e++) {
        if (!Arrays.equals(
            batch.strings()[(int) (slot * numel + e)], expected.strings()[(int) e])) {
          throw new AssertionError(where + ": string " + e + " differs");
        }
      }
      return;
    }
    int slotBytes = (int) expected.nbytes();
    ByteBuffer got = batch.data().duplicate();
    ByteBuffer want = expected.data().duplicate();
    for (int b = 0; b < slotBytes; b++) {
      if (got.get(slot * slotBytes + b) != want.get(b)) {
        throw new AssertionError(where + ": byte " + b + " differs");
      }
    }
  }

  private static long[] prepend(long first, long[] dims) {
    long[] out = new long[dims.length + 1];
    out[0] = first;
    System.arraycopy(dims, 0, out, 1, dims.length);
    return out;
  }

  /** The work must throw a CortadoException (naming {@code key} when given) and nothing else. */
  private static void expectError(String what, Runnable work, String key) {
    try {
      work.run();
    } catch (CortadoException e) {
      Failures.requireClean(what, e);
      if (key != null && (e.getMessage() == null || !e.getMessage().contains(key))) {
        throw new AssertionError(
            what + ": the error does not name the record: " + e.getMessage(), e);
      }
      return;
    }
    throw new AssertionError(what + ": expected a CortadoException, but it succeeded");
  }
}
