package com.example.cortado.normalize;

import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * {@code Normalize}: Y = (X * scale - mean[c]) / std[c] for every element of channel c of a FLOAT
 * image tensor, [N,C,H,W] or [C,H,W] with {@code order} NCHW, [N,H,W,C] or [H,W,C] with NHWC. The
 * usual last step of an image input pipeline (torchvision's {@code Normalize}).
 */
public final class NormalizeOp implements Operator {
  /** The schema: every argument's default is declared here once, and the constructor reads it. */
  public static final OperatorSchema SCHEMA =
      OperatorSchema.builder("Normalize")
          .numInputs(1)
          .numOutputs(1)
          .allowInplace(0, 0)
          .requiredArg("mean", "per-channel means (floats), one per channel or one for all")
          .requiredArg("std", "per-channel standard deviations (floats, each > 0), as mean")
          .stringArg("order", "NCHW", "layout of X: NCHW ([N,]C,H,W) or NHWC ([N,]H,W,C)")
          .floatArg("scale", 1.0f, "X is multiplied by this first (1/255 for bytes cast to float)")
          .doc(
              "Subtracts a per-channel mean from a FLOAT image tensor and divides by a per-channel"
                  + " standard deviation.")
          .build();

  private final OperatorContext ctx;
  private final float[] mean;
  private final float[] std;
  private final boolean channelsLast;
  private final float scale;

  public NormalizeOp(OperatorContext ctx) {
    this.ctx = ctx;
    this.mean = ctx.floatsArg("mean");
    this.std = ctx.floatsArg("std");
    this.scale = ctx.floatArg("scale");
    String order = ctx.stringArg("order");
    switch (order) {
      case "NCHW" -> channelsLast = false;
      case "NHWC" -> channelsLast = true;
      default -> throw ctx.args().error("order", "must be NCHW or NHWC, found '" + order + "'");
    }
    if (mean.length == 0 || std.length == 0) {
      throw ctx.args()
          .error(mean.length == 0 ? "mean" : "std", "needs at least one value (field floats)");
    }
    if (mean.length != std.length) {
      throw ctx.args()
          .error(
              "std",
              "has "
                  + std.length
                  + " values but mean has "
                  + mean.length
                  + "; give one per channel for both");
    }
    for (int c = 0; c < std.length; c++) {
      if (!(std[c] > 0)) {
        throw ctx.args().error("std", "value " + c + " is " + std[c] + "; every std must be > 0");
      }
    }
  }

  @Override
  public void run() {
    Tensor x = ctx.input(0, Tensor.class);
    if (x.dataType() != DataType.FLOAT) {
      throw ctx.error("X must be a FLOAT tensor, found " + x + " (Cast it first)");
    }
    if (x.rank() != 3 && x.rank() != 4) {
      throw ctx.error(
          "X must be "
              + (channelsLast ? "[N,]H,W,C" : "[N,]C,H,W")
              + " (rank 3 or 4),"
              + " found dims "
              + Arrays.toString(x.dims()));
    }
    int channelAxis = channelsLast ? x.rank() - 1 : x.rank() - 3;
    int channels = Math.toIntExact(x.dim(channelAxis));
    if (mean.length != 1 && mean.length != channels) {
      throw ctx.error(
          "X has "
              + channels
              + " channels (dims "
              + Arrays.toString(x.dims())
              + ", "
              + (channelsLast ? "NHWC" : "NCHW")
              + ") but mean and std have "
              + mean.length
              + " values");
    }
    // Elements of one channel are contiguous runs of `inner` values, repeating every C runs.
    long inner = 1;
    for (int d = channelAxis + 1; d < x.rank(); d++) {
      inner *= x.dim(d);
    }
    Tensor y = sameShapeOutput(x);
    ByteBuffer in = x.data();
    ByteBuffer out = y.data();
    int n = Math.toIntExact(x.numel());
    for (int i = 0; i < n; i++) {
      int c = mean.length == 1 ? 0 : (int) ((i / inner) % channels);
      out.putFloat(i * 4, (in.getFloat(i * 4) * scale - mean[c]) / std[c]);
    }
    ctx.output(0).set(y);
  }

  /** The output blob's tensor when it already has X's type and shape (or is X), else a new one. */
  private Tensor sameShapeOutput(Tensor x) {
    if (ctx.output(0).get() instanceof Tensor t
        && t.dataType() == DataType.FLOAT
        && Arrays.equals(t.dims(), x.dims())) {
      return t;
    }
    return Tensor.allocate(DataType.FLOAT, x.dims());
  }
}
