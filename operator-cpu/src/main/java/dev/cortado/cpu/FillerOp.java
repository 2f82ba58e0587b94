package dev.cortado.cpu;

import dev.cortado.operator.Arguments;
import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Shapes;
import dev.cortado.tensor.Tensor;
import java.nio.ByteBuffer;

/**
 * Caffe2's {@code FillerOp} base: the output shape comes from {@code shape}, or from the optional
 * input's dims plus {@code extra_shape}, or with {@code input_as_shape=1} from the values of a 1-D
 * int64 input plus {@code extra_shape}. Subclasses fill the elements.
 */
abstract class FillerOp implements Operator {
  protected final OperatorContext ctx;
  private final long[] shape;
  private final long[] extraShape;
  private final boolean inputAsShape;

  FillerOp(OperatorContext ctx) {
    this.ctx = ctx;
    Arguments args = ctx.args();
    this.shape = args.getLongs("shape");
    this.extraShape = args.getLongs("extra_shape");
    this.inputAsShape = args.getBool("input_as_shape", false);
    if (ctx.inputCount() > 0) {
      if (shape.length != 0) {
        throw ctx.error("cannot set the shape argument and pass in an input at the same time");
      }
    } else {
      if (extraShape.length != 0) {
        throw ctx.error("cannot set extra_shape when there is no input");
      }
      if (inputAsShape) {
        throw ctx.error("an input must be given if input_as_shape is true");
      }
      if (args.hasInt("shape")) {
        throw args.error("shape", "was a scalar, a list (ints) is expected");
      }
    }
    checkDims(shape, "shape");
    checkDims(extraShape, "extra_shape");
  }

  /** Schema settings every filler shares. */
  static OperatorSchema.Builder fillerSchema(String type) {
    return OperatorSchema.builder(type)
        .inputs(0, 1)
        .numOutputs(1)
        .allowInplace(0, 0)
        .arg("shape", "[]", "output shape (ints) when there is no input")
        .arg("extra_shape", "[]", "dims appended to the shape taken from the input")
        .arg("input_as_shape", "0", "take the shape from the values of the 1-D int64 input");
  }

  private void checkDims(long[] dims, String name) {
    for (long d : dims) {
      if (d < 0) {
        throw ctx.args().error(name, "has a negative dim: " + Shapes.toString(dims));
      }
    }
  }

  /** The shape of this run's output. */
  protected final long[] outputShape() {
    if (ctx.inputCount() == 0) {
      return shape.clone();
    }
    Tensor in = ctx.input(0, Tensor.class);
    long[] base;
    if (inputAsShape) {
      if (in.rank() != 1 || in.dataType() != DataType.INT64 || in.numel() == 0) {
        throw ctx.error(
            "with input_as_shape the input must be a non-empty 1-D int64 tensor, found " + in);
      }
      base = new long[(int) in.numel()];
      ByteBuffer b = in.data();
      for (int i = 0; i < base.length; i++) {
        base[i] = b.getLong(i * 8);
        if (base[i] < 0) {
          throw ctx.error("the shape input holds a negative dim " + base[i]);
        }
      }
    } else {
      base = in.dims();
    }
    long[] out = new long[base.length + extraShape.length];
    System.arraycopy(base, 0, out, 0, base.length);
    System.arraycopy(extraShape, 0, out, base.length, extraShape.length);
    return out;
  }

  @Override
  public final void run() {
    long[] dims = outputShape();
    ctx.output(0).set(fill(dims));
  }

  /** The filled output for this shape. */
  protected abstract Tensor fill(long[] dims);

  /** Reads {@code value} as an integer that must fit in [min, max] (Caffe2's lossless check). */
  static long checkedRange(
      Arguments args, String name, long value, long min, long max, DataType t) {
    if (value < min || value > max) {
      throw args.error(name, "value " + value + " does not fit in " + t);
    }
    return value;
  }
}
