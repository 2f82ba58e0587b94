package dev.cortado.cli;

import dev.cortado.tensor.Tensor;
import dev.cortado.tensor.TensorDigest;
import dev.cortado.operator.Blob;
import dev.cortado.runtime.DeviceTensors;
import dev.cortado.workspace.Workspace;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The {@code --digest} line: per named blob its dtype short name, shape, byte count and the
 * testdata hashing rule's SHA-256.
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
        throw new CliException("--digest " + name + ": no blob named '" + name
            + "' in the workspace after run " + run + "; blobs: " + new TreeSet<>(ws.blobNames()));
      }
      Tensor t;
      try {
        t = DeviceTensors.toHost(blob.get());
      } catch (RuntimeException e) {
        throw new CliException("--digest " + name + ": " + Errors.oneLine(e), e);
      }
      outputs.add(new JsonLine()
          .put("name", name)
          .put("dtype", t.dataType().shortName())
          .put("shape", Arrays.stream(t.dims()).boxed().toList())
          .put("nbytes", t.nbytes())
          .put("sha256", TensorDigest.sha256Hex(t))
          .asMap());
    }
    return new JsonLine().put("run", run).put("outputs", outputs).toString();
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
