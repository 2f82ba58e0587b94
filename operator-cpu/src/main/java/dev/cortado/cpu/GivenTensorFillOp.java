package dev.cortado.cpu;

import dev.cortado.operator.Arguments;
import dev.cortado.operator.Gradient;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorFactory;
import dev.cortado.operator.OperatorRegistration;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Shapes;
import dev.cortado.tensor.Tensor;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Caffe2's {@code GivenTensor*Fill} family: the output holds exactly the listed {@code values}.
 * Unlike Caffe2, which only checks the count in debug builds, a count that differs from the shape's
 * element count is always an error.
 */
final class GivenTensorFillOp extends FillerOp {
  /** Which argument field the values come from and what they become. */
  enum Variant {
    GIVEN_TENSOR_FILL("GivenTensorFill", null, "values (floats; ints or strings per dtype)"),
    DOUBLE("GivenTensorDoubleFill", DataType.DOUBLE, "values (floats, widened to double)"),
    INT("GivenTensorIntFill", DataType.INT32, "values (ints, each must fit in int32)"),
    INT16("GivenTensorInt16Fill", DataType.INT16, "values (ints, each must fit in int16)"),
    INT64("GivenTensorInt64Fill", DataType.INT64, "values (ints)"),
    BOOL("GivenTensorBoolFill", DataType.BOOL, "values (ints, non-zero is true)"),
    STRING("GivenTensorStringFill", DataType.STRING, "values (strings, raw bytes)"),
    BYTE_STRING_TO_UINT8(
        "GivenTensorByteStringToUInt8Fill",
        DataType.UINT8,
        "values (one string; one uint8 per byte)");

    final String type;
    final DataType fixedType;
    final String valuesDoc;

    Variant(String type, DataType fixedType, String valuesDoc) {
      this.type = type;
      this.fixedType = fixedType;
      this.valuesDoc = valuesDoc;
    }

    OperatorSchema schema() {
      OperatorSchema.Builder b = fillerSchema(type).arg("values", null, valuesDoc);
      if (this == GIVEN_TENSOR_FILL) {
        b.arg("dtype", "FLOAT", "element type: a TensorProto.DataType number or name");
      }
      return b.doc("Fills a tensor with the given values.").gradient(Gradient.NO_GRADIENT).build();
    }

    OperatorRegistration registration() {
      Variant v = this;
      OperatorFactory factory = ctx -> new GivenTensorFillOp(ctx, v);
      return OperatorRegistration.cpu(schema(), factory);
    }
  }

  private final DataType dtype;
  private final Tensor values;

  GivenTensorFillOp(OperatorContext ctx, Variant variant) {
    super(ctx);
    Arguments args = ctx.args();
    DataType t = variant.fixedType;
    if (t == null) {
      t = args.has("dtype") ? CastOp.castType(args, "dtype") : DataType.FLOAT;
      if (t == DataType.UNDEFINED) {
        throw args.error("dtype", "cannot be UNDEFINED");
      }
      if (t != DataType.FLOAT
          && t != DataType.DOUBLE
          && t != DataType.BOOL
          && t != DataType.INT16
          && t != DataType.INT32
          && t != DataType.INT64
          && t != DataType.STRING) {
        throw args.error("dtype", "has an unexpected value " + t);
      }
    }
    this.dtype = t;
    this.values =
        variant == Variant.BYTE_STRING_TO_UINT8 ? byteStringValues(args) : values(args, t);
  }

  private static Tensor byteStringValues(Arguments args) {
    byte[] bytes = args.getBytes("values");
    if (bytes == null) {
      bytes = new byte[0];
    }
    Tensor t = Tensor.allocate(DataType.UINT8, bytes.length);
    t.data().put(bytes);
    return t;
  }

  private static Tensor values(Arguments args, DataType t) {
    switch (t) {
      case FLOAT -> {
        float[] v = args.getFloats("values");
        Tensor out = Tensor.allocate(t, v.length);
        out.data().asFloatBuffer().put(v);
        return out;
      }
      case DOUBLE -> {
        double[] v = args.getDoubles("values");
        Tensor out = Tensor.allocate(t, v.length);
        out.data().asDoubleBuffer().put(v);
        return out;
      }
      case STRING -> {
        List<byte[]> v = args.getByteStrings("values");
        return Tensor.ofStrings(new long[] {v.size()}, v.toArray(new byte[0][]));
      }
      default -> {
        long[] v = args.getLongs("values");
        Tensor out = Tensor.allocate(t, v.length);
        ByteBuffer b = out.data();
        for (int i = 0; i < v.length; i++) {
          long x = v[i];
          switch (t) {
            case INT32 -> checkedRange(args, "values", x, Integer.MIN_VALUE, Integer.MAX_VALUE, t);
            case INT16 -> checkedRange(args, "values", x, Short.MIN_VALUE, Short.MAX_VALUE, t);
            default -> {}
          }
          Elements.putLong(b, t, i, x);
        }
        return out;
      }
    }
  }

  @Override
  protected Tensor fill(long[] dims) {
    long numel = Shapes.numel(dims);
    if (numel != values.numel()) {
      throw ctx.error(
          "'values' has "
              + values.numel()
              + " elements but the shape "
              + Shapes.toString(dims)
              + " needs "
              + numel);
    }
    if (dtype == DataType.STRING) {
      return Tensor.ofStrings(dims, values.strings().clone());
    }
    Tensor out = Elements.reuseOrAllocate(ctx.output(0).get(), dtype, dims);
    out.data().put(values.data());
    return out;
  }
}
