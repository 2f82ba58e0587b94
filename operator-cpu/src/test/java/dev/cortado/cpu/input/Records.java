package dev.cortado.cpu.input;

import dev.cortado.proto.TensorProto;
import dev.cortado.proto.TensorProtos;
import dev.cortado.tensor.Tensor;

/**
 * Serialized TensorProtos records for tests: record i holds INT64 scalar i and FLOAT [2] {i, -i}.
 */
final class Records {
  private Records() {}

  static byte[] indexed(long i) {
    return TensorProtos.newBuilder()
        .addProtos(TensorProto.newBuilder().setDataType(TensorProto.DataType.INT64).addInt64Data(i))
        .addProtos(
            TensorProto.newBuilder()
                .setDataType(TensorProto.DataType.FLOAT)
                .addDims(2)
                .addFloatData(i)
                .addFloatData(-i))
        .build()
        .toByteArray();
  }

  static CountingDb indexedDb(int n) {
    CountingDb db = new CountingDb();
    for (int i = 0; i < n; i++) {
      db.add(String.format("%08d", i), indexed(i));
    }
    return db;
  }

  /** The record indices in output 0 of a batch tensor (INT64 [B]). */
  static long[] indices(Tensor t) {
    long[] out = new long[(int) t.numel()];
    for (int i = 0; i < out.length; i++) {
      out[i] = t.data().getLong(8 * i);
    }
    return out;
  }
}
