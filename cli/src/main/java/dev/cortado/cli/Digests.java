package dev.cortado.cli;

import dev.cortado.operator.Blob;
import dev.cortado.runtime.DeviceTensors;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import dev.cortado.tensor.TensorDigest;
import dev.cortado.workspace.Workspace;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The {@code --digest} line: per named blob its dtype short name, shape, byte count and the
 * testdata hashing rule's SHA-256; for FLOAT and DOUBLE tensors also {@code stats} (sum, l2, min,
 * max) and {@code head} (the first 16 values), so float results compare with a tolerance.
 */
final class Digests {
  private final List<String> blobs;

  Digests(List<String> blobs) {
    this.blobs = List.copyOf(blobs);
  }

  boolean isEmpty() {
    return blobs.isEmpty();
  }

  /** {@code {"run":r,"outputs":[...]}} for the workspace's current blobs. */
  String line(Workspace ws, int run) {
    List<Map<String, Object>> outputs = new ArrayList<>();
    for (String name : blobs) {
      Blob blob = ws.getBlob(name);
      if (blob == null) {
        throw new CliException(
            "--digest "
                + name
                + ": no blob named '"
                + name
                + "' in the workspace after run "
                + run
                + "; blobs: "
                + new TreeSet<>(ws.blobNames()));
      }
      Tensor t;
      try {
        t = DeviceTensors.toHost(blob.get());
      } catch (RuntimeException e) {
        throw new CliException("--digest " + name + ": " + Errors.oneLine(e), e);
      }
      JsonLine line =
          new JsonLine()
              .put("name", name)
              .put("dtype", t.dataType().shortName())
              .put("shape", Arrays.stream(t.dims()).boxed().toList())
              .put("nbytes", t.nbytes())
              .put("sha256", TensorDigest.sha256Hex(t));
      if (t.dataType() == DataType.FLOAT || t.dataType() == DataType.DOUBLE) {
        addFloatStats(line, t);
      }
      outputs.add(line.asMap());
    }
    return new JsonLine().put("run", run).put("outputs", outputs).toString();
  }

  /** The number of leading values printed in {@code head}. */
  static final int HEAD = 16;

  /**
   * For FLOAT and DOUBLE tensors, what lets results be compared with a tolerance: the sum, the L2
   * norm, the minimum and maximum (accumulated in double) and the first {@value #HEAD} values. NaN
   * and infinities, which JSON cannot hold as numbers, appear as the strings "NaN", "Infinity" and
   * "-Infinity".
   */
  static void addFloatStats(JsonLine line, Tensor t) {
    ByteBuffer b = t.data();
    boolean isFloat = t.dataType() == DataType.FLOAT;
    int n = Math.toIntExact(t.numel());
    double sum = 0;
    double squares = 0;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    List<Object> head = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      double v = isFloat ? b.getFloat(i * 4) : b.getDouble(i * 8);
      sum += v;
      squares += v * v;
      min = Double.isNaN(v) || Double.isNaN(min) ? Double.NaN : Math.min(min, v);
      max = Double.isNaN(v) || Double.isNaN(max) ? Double.NaN : Math.max(max, v);
      if (i < HEAD) {
        head.add(isFloat ? number(b.getFloat(i * 4)) : number(v));
      }
    }
    Map<String, Object> stats = new LinkedHashMap<>();
    stats.put("sum", number(sum));
    stats.put("l2", number(Math.sqrt(squares)));
    stats.put("min", n == 0 ? null : number(min));
    stats.put("max", n == 0 ? null : number(max));
    line.put("stats", stats).put("head", head);
  }

  private static Object number(double v) {
    return Double.isFinite(v) ? (Object) v : Double.toString(v);
  }

  private static Object number(float v) {
    return Float.isFinite(v) ? (Object) v : Float.toString(v);
  }

  /** Splits "a,b" option values and repeated options into one list of blob names. */
  static List<String> names(List<String> raw) {
    List<String> out = new ArrayList<>();
    for (String r : raw) {
      for (String part : r.split(",")) {
        if (!part.isBlank()) {
          out.add(part.trim());
        }
      }
    }
    return out;
  }
}
