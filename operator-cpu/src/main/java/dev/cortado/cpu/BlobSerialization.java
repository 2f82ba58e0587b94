package dev.cortado.cpu;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.cortado.db.DbReader;
import dev.cortado.db.DbRegistry;
import dev.cortado.operator.Blob;
import dev.cortado.operator.OperatorContext;
import dev.cortado.proto.BlobProto;
import dev.cortado.proto.DBReaderProto;
import dev.cortado.proto.DeviceOption;
import dev.cortado.proto.TensorProto;
import dev.cortado.runtime.DeviceTensors;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Shapes;
import dev.cortado.tensor.Tensor;
import dev.cortado.tensor.TensorProtoCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Caffe2's blob (de)serialization for Save and Load (§2.1 and §2.3 of docs/caffe2-semantics.md):
 * tensors as {@code BlobProto} chunks under keys {@code <name>#%<chunk>}, strings ({@code
 * std::string}), counters and DB readers under the bare name.
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
      OperatorContext ctx,
      String inputName,
      String name,
      Object value,
      long chunkSize,
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
          BlobProto.newBuilder()
              .setName(name)
              .setType(Counter.BLOB_TYPE)
              .setTensor(t)
              .build()
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
            "no known serializer for input '"
                + inputName
                + "' holding "
                + (value == null ? "nothing (the blob is empty)" : value.getClass().getName())
                + ": "
                + e.getMessage(),
            e);
      }
      serializeTensor(name, t, chunkSize, sink);
    }
  }

  private static byte[] content(String name, String type, ByteString content) {
    return BlobProto.newBuilder()
        .setName(name)
        .setType(type)
        .setContent(content)
        .build()
        .toByteArray();
  }

  /**
   * Caffe2's chunking: chunks start at 0 and step by the chunk size while start < max(numel, 1).
   */
  static void serializeTensor(
      String name, Tensor t, long chunkSize, BiConsumer<String, byte[]> sink) {
    long numel = t.numel();
    long chunk = chunkSize > 0 ? chunkSize : numel + 1;
    for (long begin = 0; begin < Math.max(numel, 1); begin += chunk) {
      long end = Math.min(begin + chunk, numel);
      TensorProto proto =
          TensorProtoCodec.fromTensorChunk(t, begin, end).toBuilder().setName(name).build();
      byte[] bytes =
          BlobProto.newBuilder()
              .setName(name)
              .setType(TENSOR)
              .setTensor(proto)
              .build()
              .toByteArray();
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
   * Deserializes one non-tensor record (string, counter, DB reader) into {@code blob}; tensor
   * records go through {@link #tensorChunk} and {@link TensorParts}.
   */
  static void deserialize(OperatorContext ctx, BlobProto proto, Blob blob, String key) {
    String type = proto.getType();
    if (proto.hasContentNumChunks()) {
      throw ctx.error(
          "key '"
              + key
              + "' holds chunked content (content_num_chunks) of type '"
              + type
              + "', which no Cortado deserializer reads");
    }
    switch (type) {
      case STRING -> blob.set(proto.getContent().toString(StandardCharsets.UTF_8));
      case Counter.BLOB_TYPE -> {
        TensorProto t = proto.getTensor();
        if (t.getInt64DataCount() != 1) {
          throw ctx.error(
              "counter record '"
                  + key
                  + "' must hold one int64 value, found "
                  + t.getInt64DataCount());
        }
        blob.set(new Counter(t.getInt64Data(0)));
      }
      case DB_READER -> {
        DBReaderProto reader;
        try {
          reader = DBReaderProto.parseFrom(proto.getContent());
        } catch (InvalidProtocolBufferException e) {
          throw ctx.error(
              "record '" + key + "' does not hold a DBReaderProto: " + e.getMessage(), e);
        }
        blob.set(DbReader.fromProto(ctx.service(DbRegistry.class), reader));
      }
      default ->
          throw ctx.error(
              "no registered deserializer for type '" + type + "' (record '" + key + "')");
    }
  }

  /**
   * One tensor record, fully checked: the tensor's type, dims and element count, the chunk's range
   * [begin, end), and the chunk's elements as a tensor of their own ({@code data}; the whole tensor
   * when the chunk covers it).
   */
  record TensorChunk(DataType type, long[] dims, long numel, long begin, long end, Tensor data) {
    boolean whole() {
      return begin == 0 && end == numel;
    }
  }

  /**
   * Checks a tensor record completely before anything is sized by its dims: a known type, a segment
   * inside [0, numel) and a payload of exactly the segment's length. Only the chunk's own elements
   * are allocated, so what Load allocates is bounded by the bytes really read.
   */
  static TensorChunk tensorChunk(
      OperatorContext ctx, BlobProto blobProto, boolean keepDevice, String key) {
    if (blobProto.hasContentNumChunks()) {
      throw ctx.error(
          "key '"
              + key
              + "' holds chunked content (content_num_chunks) of type '"
              + blobProto.getType()
              + "', which no Cortado deserializer reads");
    }
    TensorProto proto = blobProto.getTensor();
    if (keepDevice && proto.hasDeviceDetail()) {
      DeviceOption d = proto.getDeviceDetail();
      if (d.getDeviceType() != ctx.deviceType()) {
        throw ctx.error(
            "record '"
                + key
                + "' was saved on device type "
                + d.getDeviceType()
                + " and keep_device=1 asks to keep it there, but this Load runs on device type "
                + ctx.deviceType());
      }
    }
    // The device detail is overwritten with this operator's device (CPU) unless kept; either
    // way the tensor is decoded on the host.
    TensorProto cpu = proto.toBuilder().clearDeviceDetail().build();
    long[] dims = new long[cpu.getDimsCount()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = cpu.getDims(i);
    }
    DataType t = DataType.fromNumber(cpu.getDataType().getNumber()).orElse(DataType.FLOAT);
    long numel;
    try {
      numel = Shapes.numel(dims);
    } catch (RuntimeException e) {
      throw ctx.error("record '" + key + "': " + e.getMessage(), e);
    }
    if (t == DataType.UNDEFINED && numel == 0) {
      // Caffe2 (2024) reads an empty untyped tensor as float [0].
      return new TensorChunk(
          DataType.FLOAT, new long[] {0}, 0, 0, 0, Tensor.allocate(DataType.FLOAT, 0));
    }
    if (t == DataType.UNDEFINED) {
      throw ctx.error(
          "record '" + key + "' holds a tensor of type UNDEFINED with " + numel + " elements");
    }
    long begin = 0;
    long end = numel;
    if (cpu.hasSegment()) {
      begin = cpu.getSegment().getBegin();
      end = cpu.getSegment().getEnd();
      if (begin < 0 || begin > end || end > numel) {
        throw ctx.error(
            "record '"
                + key
                + "': invalid chunk: segment ["
                + begin
                + ", "
                + end
                + ") does not lie within the "
                + numel
                + " elements of "
                + t
                + " "
                + Shapes.toString(dims));
      }
    }
    Tensor data;
    try {
      if (begin == 0 && end == numel) {
        data = TensorProtoCodec.toTensor(cpu);
      } else {
        // The chunk alone, as a tensor of its length: the codec checks its payload against
        // that length, and allocates only that.
        data =
            TensorProtoCodec.toTensor(
                cpu.toBuilder().clearDims().addDims(end - begin).clearSegment().build());
      }
    } catch (RuntimeException e) {
      throw ctx.error(
          "record '"
              + key
              + "' (chunk ["
              + begin
              + ", "
              + end
              + ") of "
              + t
              + " "
              + Shapes.toString(dims)
              + "): "
              + e.getMessage(),
          e);
    }
    return new TensorChunk(t, dims, numel, begin, end, data);
  }

  /**
   * The chunks of one tensor read so far; the tensor is allocated, and the chunks copied into it,
   * only once their lengths sum to its element count.
   */
  static final class TensorParts {
    private final DataType type;
    private final long[] dims;
    private final List<TensorChunk> chunks = new ArrayList<>();

    TensorParts(TensorChunk first) {
      this.type = first.type();
      this.dims = first.dims();
    }

    /** Keeps {@code c}; its type and dims must be the first chunk's. */
    void add(OperatorContext ctx, TensorChunk c, String key) {
      if (c.type() != type || !Arrays.equals(c.dims(), dims)) {
        throw ctx.error(
            "record '"
                + key
                + "': chunk of "
                + c.type()
                + " "
                + Shapes.toString(c.dims())
                + " does not fit the tensor "
                + type
                + " "
                + Shapes.toString(dims)
                + " of the first chunk");
      }
      chunks.add(c);
    }

    /** Allocates the tensor and copies every chunk into place (call once all are read). */
    Tensor assemble(OperatorContext ctx, String name) {
      Tensor target;
      try {
        target = Tensor.allocate(type, dims);
      } catch (RuntimeException e) {
        throw ctx.error("tensor '" + name + "': " + e.getMessage(), e);
      }
      for (TensorChunk c : chunks) {
        int n = (int) (c.end() - c.begin());
        if (type == DataType.STRING) {
          System.arraycopy(c.data().strings(), 0, target.strings(), (int) c.begin(), n);
        } else {
          int size = type.elementSize();
          target.data().put((int) (c.begin() * size), c.data().data(), 0, n * size);
        }
      }
      chunks.clear();
      return target;
    }
  }

  /** Blob names from DB keys: cut at the first {@code #%}. */
  static String baseName(String key) {
    int cut = key.indexOf(CHUNK_SEPARATOR);
    return cut < 0 ? key : key.substring(0, cut);
  }
}
