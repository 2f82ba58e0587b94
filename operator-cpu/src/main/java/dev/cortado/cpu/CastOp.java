package dev.cortado.cpu;

import dev.cortado.operator.Arguments;
import dev.cortado.operator.Gradient;
import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.proto.TensorProto;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * Caffe2's {@code Cast}: converts every element to the type {@code to} (a TensorProto.DataType
 * number or its enum name, any case; FLOAT when absent) with C's conversion rules. Unlike Caffe2,
 * {@code to=BYTE} is an error, not a process abort.
 */
final class CastOp implements Operator {
  static final OperatorSchema SCHEMA =
      OperatorSchema.builder("Cast")
          .numInputs(1)
          .numOutputs(1)
          .arg("to", "1 (FLOAT)", "target data type: a TensorProto.DataType number or name")
          .arg("from_type", null, "source data type; only needed by the gradient")
          .doc("Casts the elements of a tensor to the type given by 'to', keeping the shape.")
          .gradient(Gradient.HAS_GRADIENT)
          .build();

  private final OperatorContext ctx;
  private final DataType to;

  CastOp(OperatorContext ctx) {
    this.ctx = ctx;
    this.to = castType(ctx.args(), "to");
    if (to == DataType.STRING
        || to == DataType.FLOAT16
        || to == DataType.UNDEFINED
        || to == DataType.BYTE) {
      throw ctx.args().error("to", "asks for " + to + ", which Cast cannot produce on CPU");
    }
  }

  /** Caffe2's {@code GetCastDataType}: a string names the enum, an int is its number. */
  static DataType castType(Arguments args, String name) {
    if (args.hasString(name)) {
      String s = args.getString(name, "");
      String upper = s.trim().toUpperCase(Locale.ROOT);
      TensorProto.DataType proto;
      try {
        proto = TensorProto.DataType.valueOf(upper);
      } catch (IllegalArgumentException e) {
        throw args.error(name, "names no TensorProto.DataType: '" + s + "'");
      }
      return DataType.fromNumber(proto.getNumber())
          .orElseThrow(() -> args.error(name, "names an unsupported data type " + proto));
    }
    int number = args.getInt(name, DataType.FLOAT.number());
    return DataType.fromNumber(number)
        .orElseThrow(() -> args.error(name, "is not a TensorProto.DataType number: " + number));
  }

  @Override
  public void run() {
    Tensor in = ctx.input(0, Tensor.class);
    DataType from = in.dataType();
    if (from == DataType.STRING || from == DataType.FLOAT16 || from == DataType.UNDEFINED) {
      throw ctx.error("cannot cast an input of type " + from + " ('" + ctx.inputName(0) + "')");
    }
    Tensor out = Elements.reuseOrAllocate(ctx.output(0).get(), to, in.dims());
    if (out == in) {
      return;
    }
    ByteBuffer src = in.data();
    ByteBuffer dst = out.data();
    int n = Math.toIntExact(in.numel());
    if (from == to) {
      dst.put(src);
    } else if (Elements.isFloating(from)) {
      for (int i = 0; i < n; i++) {
        Elements.putDouble(dst, to, i, Elements.getDouble(src, from, i));
      }
    } else if (to == DataType.FLOAT && (from == DataType.UINT8 || from == DataType.BYTE)) {
      // The MNIST pipeline's hot path: uint8 pixels to float.
      for (int i = 0; i < n; i++) {
        dst.putFloat(i * 4, src.get(i) & 0xFF);
      }
    } else {
      for (int i = 0; i < n; i++) {
        Elements.putLong(dst, to, i, Elements.getLong(src, from, i));
      }
    }
    ctx.output(0).set(out);
  }
}
