package dev.cortado.cpu;

import dev.cortado.operator.Arguments;
import dev.cortado.operator.Gradient;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorRegistration;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Shapes;
import dev.cortado.tensor.Tensor;
import java.nio.FloatBuffer;
import java.util.Random;

/**
 * Caffe2's random fills on {@link FillerOp}'s shape rules, float32 output: {@code XavierFill}
 * (uniform in ±sqrt(3 / fan_in), fan_in = numel / dim 0), {@code MSRAFill} (Gaussian with std
 * sqrt(2 / fan_out), fan_out = numel / dim 1), {@code GaussianFill} ({@code mean}, {@code std}) and
 * {@code UniformFill} ([{@code min}, {@code max})). A {@code seed} argument, or else the device
 * option's {@code random_seed}, makes the values deterministic; Caffe2's own random streams are not
 * reproduced.
 */
final class RandomFillOp extends FillerOp {
  /** The fill kinds, one operator type each. */
  enum Kind {
    XAVIER("XavierFill", "Uniform in [-sqrt(3/fan_in), sqrt(3/fan_in)), fan_in = numel / dim 0."),
    MSRA("MSRAFill", "Gaussian, mean 0, std sqrt(2/fan_out), fan_out = numel / dim 1."),
    GAUSSIAN("GaussianFill", "Gaussian with the given mean and std."),
    UNIFORM("UniformFill", "Uniform in [min, max).");

    final String type;
    final String doc;

    Kind(String type, String doc) {
      this.type = type;
      this.doc = doc;
    }

    OperatorSchema schema() {
      OperatorSchema.Builder b = fillerSchema(type);
      if (this == GAUSSIAN) {
        b.arg("mean", "0.0", "mean of the distribution").arg("std", "1.0", "standard deviation");
      } else if (this == UNIFORM) {
        b.arg("min", "0.0", "lower bound (inclusive)").arg("max", "1.0", "upper bound");
      }
      return b.arg("seed", "random", "seed of the generator; the same seed gives the same values")
          .doc(doc)
          .gradient(Gradient.NO_GRADIENT)
          .build();
    }

    OperatorRegistration registration() {
      return OperatorRegistration.cpu(schema(), ctx -> new RandomFillOp(ctx, this));
    }
  }

  private final Kind kind;
  private final float a;
  private final float b;
  private final Random random;

  RandomFillOp(OperatorContext ctx, Kind kind) {
    super(ctx);
    this.kind = kind;
    Arguments args = ctx.args();
    switch (kind) {
      case GAUSSIAN -> {
        a = args.getFloat("mean", 0f);
        b = args.getFloat("std", 1f);
        if (!(b > 0)) {
          throw args.error("std", "must be > 0, found " + b);
        }
      }
      case UNIFORM -> {
        a = args.getFloat("min", 0f);
        b = args.getFloat("max", 1f);
        if (!(a < b)) {
          throw args.error("max", "must be bigger than min (" + a + "), found " + b);
        }
      }
      default -> {
        a = 0;
        b = 0;
      }
    }
    long seed;
    if (args.has("seed")) {
      seed = args.getLong("seed", 0);
    } else if (ctx.deviceOption().hasRandomSeed()) {
      seed = ctx.deviceOption().getRandomSeed();
    } else {
      seed = new Random().nextLong();
    }
    this.random = new Random(seed);
  }

  @Override
  protected Tensor fill(long[] dims) {
    Tensor t = Elements.reuseOrAllocate(ctx.output(0).get(), DataType.FLOAT, dims);
    int n = Math.toIntExact(t.numel());
    FloatBuffer out = t.data().asFloatBuffer();
    if (n == 0) {
      return t;
    }
    switch (kind) {
      case XAVIER -> {
        if (dims.length < 1) {
          throw ctx.error("XavierFill needs at least 1 dim, found shape " + Shapes.toString(dims));
        }
        float scale = (float) Math.sqrt(3.0f / (float) (n / dims[0]));
        uniform(out, n, -scale, scale);
      }
      case MSRA -> {
        if (dims.length < 2) {
          throw ctx.error("MSRAFill needs at least 2 dims, found shape " + Shapes.toString(dims));
        }
        float std = (float) Math.sqrt(2.0f / (float) (n / dims[1]));
        gaussian(out, n, 0f, std);
      }
      case GAUSSIAN -> gaussian(out, n, a, b);
      case UNIFORM -> uniform(out, n, a, b);
      default -> throw new IllegalStateException("unreachable: " + kind);
    }
    return t;
  }

  private void uniform(FloatBuffer out, int n, float lo, float hi) {
    double width = (double) hi - lo;
    for (int i = 0; i < n; i++) {
      float v = (float) (lo + width * random.nextDouble());
      out.put(i, v < hi ? v : lo);
    }
  }

  private void gaussian(FloatBuffer out, int n, float mean, float std) {
    for (int i = 0; i < n; i++) {
      out.put(i, (float) (mean + std * random.nextGaussian()));
    }
  }
}
