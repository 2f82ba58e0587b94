package dev.cortado.cpu;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.cortado.db.DbReader;
import dev.cortado.db.DbRegistry;
import dev.cortado.operator.OperatorContext;
import dev.cortado.proto.BlobProto;
import dev.cortado.proto.DBReaderProto;
import dev.cortado.proto.DeviceOption;
import dev.cortado.proto.TensorProto;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Shapes;
import dev.cortado.tensor.Tensor;
import dev.cortado.tensor.TensorProtoCodec;
import dev.cortado.workspace.Blob;
import dev.cortado.workspace.DeviceTensors;
import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;

/**
 * Caffe2's blob (de)serialization for Save and Load (§2.1, §2.3): tensors as {@code BlobProto}
 * chunks under keys {@code <name>#%<chunk>}, strings ({@code std::string}), counters and DB
 * readers under the bare name.
 */
final class BlobSerialization {
  /** Separator between a blob name and its chunk index in a DB key. */
  static final String CHUNK_SEPARATOR = "#%";
  /** Caffe2's {@code caffe2_tensor_chunk_size} default, in elements. */
  static final long DEFAULT_CHUNK_SIZE = 1_000_000L;

  static final String TENSOR = "Tensor";
  static final String STRING = "std::string";
  static final String DB_READER = "DBReader";

  private BlobSerialization() {}

  /**
   * Serializes one blob value, handing each (key, BlobProto bytes) record to {@code sink}.
   *
   * @param chunkSize elements per chunk; 0 or less means the whole tensor in one chunk
   */
  static void serialize(
      OperatorContext ctx, String inputName, String name, Object value, long chunkSize,
      BiConsumer<String, byte[]> sink) {
    if (value instanceof String s) {
      sink.accept(name, content(name, STRING, ByteString.copyFromUtf8(s)));
    } else if (value instanceof byte[] b) {
      sink.accept(name, content(name, STRING, ByteString.copyFrom(b)));
    } else if (value instanceof Counter c) {
      TensorProto t =
          TensorProto.newBuilder()
              .setName(name)
              .setDataType(TensorProto.DataType.INT64)
              .addDims(1)
              .addInt64Data(c.retrieve())
              .build();
      sink.accept(
          name,
          BlobProto.newBuilder().setName(name).setType(Counter.BLOB_TYPE).setTensor(t).build()
              .toByteArray());
    } else if (value instanceof DbReader r) {
      DBReaderProto proto = r.toProto(name);
      sink.accept(name, content(name, DB_READER, proto.toByteString()));
    } else {
      Tensor t;
      try {
        t = DeviceTensors.toHost(value);
      } catch (RuntimeException e) {
        throw ctx.error(
            "no known serializer for input '" + inputName + "' holding "
                + (value == null ? "nothing (the blob is empty)" : value.getClass().getName())
                + ": " + e.getMessage(),
            e);
      }
      serializeTensor(name, t, chunkSize, sink);
    }
  }

  private static byte[] content(String name, String type, ByteString content) {
    return BlobProto.newBuilder().setName(name).setType(type).setContent(content).build()
        .toByteArray();
  }

  /** Caffe2's chunking: chunks start at 0 and step by the chunk size while start < max(numel, 1). */
  static void serializeTensor(String name, Tensor t, long chunkSize, BiConsumer<String, byte[]> sink) {
    long numel = t.numel();
    long chunk = chunkSize > 0 ? chunkSize : numel + 1;
    for (long begin = 0; begin < Math.max(numel, 1); begin += chunk) {
      long end = Math.min(begin + chunk, numel);
      TensorProto proto = TensorProtoCodec.fromTensorChunk(t, begin, end).toBuilder().setName(name).build();
      byte[] bytes =
          BlobProto.newBuilder().setName(name).setType(TENSOR).setTensor(proto).build().toByteArray();
      sink.accept(name + CHUNK_SEPARATOR + (begin / chunk), bytes);
    }
  }

  /** Parses a DB value as a BlobProto; the error names the DB key. */
  static BlobProto parse(OperatorContext ctx, String key, byte[] value) {
    try {
      return BlobProto.parseFrom(value);
    } catch (InvalidProtocolBufferException e) {
      throw ctx.error("the value of key '" + key + "' is not a BlobProto: " + e.getMessage(), e);
    }
  }

  /**
   * Deserializes one record into {@code blob}. For tensors, {@code first} says whether this is the
   * name's first record (a new target is made) or a later chunk (written into the target).
   */
  static void deserialize(
      OperatorContext ctx, BlobProto proto, Blob blob, boolean first, boolean keepDevice,
      String key) {
    String type = proto.getType();
    if (proto.hasContentNumChunks()) {
      throw ctx.error(
          "key '" + key + "' holds chunked content (content_num_chunks) of type '" + type
              + "', which no Cortado deserializer reads");
    }
    switch (type) {
      case TENSOR -> deserializeTensor(ctx, proto.getTensor(), blob, first, keepDevice, key);
      case STRING -> blob.set(proto.getContent().toString(StandardCharsets.UTF_8));
      case Counter.BLOB_TYPE -> {
        TensorProto t = proto.getTensor();
        if (t.getInt64DataCount() != 1) {
          throw ctx.error("counter record '" + key + "' must hold one int64 value, found "
              + t.getInt64DataCount());
        }
        blob.set(new Counter(t.getInt64Data(0)));
      }
      case DB_READER -> {
        DBReaderProto reader;
        try {
          reader = DBReaderProto.parseFrom(proto.getContent());
        } catch (InvalidProtocolBufferException e) {
          throw ctx.error("record '" + key + "' does not hold a DBReaderProto: " + e.getMessage(), e);
        }
        blob.set(DbReader.fromProto(ctx.service(DbRegistry.class), reader));
      }
      default -> throw ctx.error(
          "no registered deserializer for type '" + type + "' (record '" + key + "')");
    }
  }

  private static void deserializeTensor(
      OperatorContext ctx, TensorProto proto, Blob blob, boolean first, boolean keepDevice,
      String key) {
    if (keepDevice && proto.hasDeviceDetail()) {
      DeviceOption d = proto.getDeviceDetail();
      if (d.getDeviceType() != ctx.deviceType()) {
        throw ctx.error(
            "record '" + key + "' was saved on device type " + d.getDeviceType()
                + " and keep_device=1 asks to keep it there, but this Load runs on device type "
                + ctx.deviceType());
      }
    }
    // The device detail is overwritten with this operator's device (CPU) unless kept; either
    // way the tensor is decoded on the host.
    TensorProto cpu = proto.toBuilder().clearDeviceDetail().build();
    Tensor target;
    if (first) {
      long[] dims = new long[cpu.getDimsCount()];
      for (int i = 0; i < dims.length; i++) {
        dims[i] = cpu.getDims(i);
      }
      DataType t = DataType.fromNumber(cpu.getDataType().getNumber()).orElse(DataType.FLOAT);
      long numel = Shapes.numel(dims);
      if (t == DataType.UNDEFINED && numel == 0) {
        // Caffe2 (2024) reads an empty untyped tensor as float [0].
        blob.set(Tensor.allocate(DataType.FLOAT, 0));
        return;
      }
      if (t == DataType.UNDEFINED) {
        throw ctx.error("record '" + key + "' holds a tensor of type UNDEFINED with " + numel
            + " elements");
      }
      target = Tensor.allocate(t, dims);
      blob.set(target);
    } else {
      target = blob.get(Tensor.class);
    }
    try {
      TensorProtoCodec.readChunkInto(cpu, target);
    } catch (RuntimeException e) {
      throw ctx.error("record '" + key + "': " + e.getMessage(), e);
    }
  }

  /** The element count a tensor record declares and the size of its chunk: {total, chunk}. */
  static long[] tensorSizes(TensorProto t) {
    long total = 1;
    for (long d : t.getDimsList()) {
      total *= d;
    }
    long chunk = t.hasSegment() ? t.getSegment().getEnd() - t.getSegment().getBegin() : total;
    return new long[] {total, chunk};
  }

  /** Blob names from DB keys: cut at the first {@code #%}. */
  static String baseName(String key) {
    int cut = key.indexOf(CHUNK_SEPARATOR);
    return cut < 0 ? key : key.substring(0, cut);
  }
}
