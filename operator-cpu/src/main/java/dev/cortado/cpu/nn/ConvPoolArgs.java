package dev.cortado.cpu.nn;

import dev.cortado.operator.Arguments;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.Tensor;
import java.util.Arrays;

/**
 * The arguments of Caffe2's {@code ConvPoolOpBase}, read in Caffe2's order: {@code kernels} or
 * {@code kernel} or {@code kernel_h}+{@code kernel_w}; the same three forms for strides and
 * dilations; {@code pads} or {@code pad} or all four of {@code pad_t pad_l pad_b pad_r}; {@code
 * group}, {@code order}, {@code global_pooling} and {@code legacy_pad}. Only the 2-D case is
 * implemented.
 */
final class ConvPoolArgs {
  static final int NOTSET = 0;
  static final int VALID = 1;
  static final int SAME = 2;
  static final int CAFFE_LEGACY_POOLING = 3;

  private final OperatorContext ctx;
  final int legacyPad;
  final boolean globalPooling;
  final int[] kernel;
  final int[] stride;
  final int[] dilation;

  /** {@code [pad_t, pad_l, pad_b, pad_r]}: heads first, then tails. */
  final int[] pads;

  final int group;
  final boolean nchw;

  /** The output geometry of one run: input dims, effective kernel and pads, output dims. */
  record Geometry(
      int n,
      int c,
      int h,
      int w,
      int kh,
      int kw,
      int sh,
      int sw,
      int dh,
      int dw,
      int padT,
      int padL,
      int padB,
      int padR,
      int oh,
      int ow,
      boolean nchw) {
    long[] outputDims(int channels) {
      return nchw ? new long[] {n, channels, oh, ow} : new long[] {n, oh, ow, channels};
    }

    long[] inputDims() {
      return nchw ? new long[] {n, c, h, w} : new long[] {n, h, w, c};
    }
  }

  /** Adds the shared arguments to a schema. */
  static OperatorSchema.Builder args(OperatorSchema.Builder b, boolean conv) {
    b.arg("kernel", null, "square kernel size (or kernel_h and kernel_w, or kernels)")
        .arg("stride", "1", "stride in both dims (or stride_h and stride_w, or strides)")
        .arg("pad", "0", "padding on all sides (or pad_t, pad_l, pad_b, pad_r, or pads)")
        .arg("order", "NCHW", "storage order, NCHW or NHWC")
        .arg("legacy_pad", "0", "0 NOTSET, 1 VALID, 2 SAME, 3 CAFFE_LEGACY_POOLING");
    if (conv) {
      b.arg("dilation", "1", "dilation in both dims (or dilation_h and dilation_w, or dilations)")
          .arg("group", "1", "number of channel groups");
    } else {
      b.arg("global_pooling", "0", "pool over the whole image (kernel = H x W)");
    }
    return b;
  }

  ConvPoolArgs(OperatorContext ctx) {
    this.ctx = ctx;
    Arguments a = ctx.args();
    legacyPad = a.getInt("legacy_pad", NOTSET);
    if (legacyPad < NOTSET || legacyPad > CAFFE_LEGACY_POOLING) {
      throw a.error(
          "legacy_pad",
          "must be 0 (NOTSET), 1 (VALID), 2 (SAME) or 3 (CAFFE_LEGACY_POOLING), found "
              + legacyPad);
    }
    globalPooling = a.getInt("global_pooling", 0) != 0;
    boolean validOrSame = legacyPad == VALID || legacyPad == SAME;
    if (validOrSame && (a.has("pads") || a.has("pad") || a.has("pad_t"))) {
      throw ctx.error("with legacy padding VALID or SAME no explicit padding may be given");
    }
    int[] k = pick(a, "kernels", "kernel", "kernel_h", "kernel_w");
    int[] s = pick(a, "strides", "stride", "stride_h", "stride_w");
    int[] d = pick(a, "dilations", "dilation", "dilation_h", "dilation_w");
    int[] p = a.getInts("pads");
    if (a.has("pad")) {
      int v = a.getInt("pad", 0);
      p = new int[] {v, v, v, v};
    } else if (a.has("pad_t") && a.has("pad_l") && a.has("pad_b") && a.has("pad_r")) {
      p =
          new int[] {
            a.getInt("pad_t", 0), a.getInt("pad_l", 0), a.getInt("pad_b", 0), a.getInt("pad_r", 0)
          };
    }
    if (k.length == 0) {
      k = new int[] {0, 0};
    }
    if (s.length == 0) {
      s = filled(k.length, 1);
    }
    if (p.length == 0) {
      p = new int[2 * k.length];
    }
    if (d.length == 0) {
      d = filled(k.length, 1);
    }
    if (k.length != 2) {
      throw ctx.error(
          "only 2-D convolution and pooling are implemented; the kernel has "
              + k.length
              + " dims "
              + Arrays.toString(k));
    }
    if (s.length != k.length) {
      throw ctx.error(
          "strides " + Arrays.toString(s) + " do not match the kernel's " + k.length + " dims");
    }
    if (d.length != k.length) {
      throw ctx.error(
          "dilations " + Arrays.toString(d) + " do not match the kernel's " + k.length + " dims");
    }
    if (!validOrSame && p.length != 2 * k.length) {
      throw ctx.error(
          "pads "
              + Arrays.toString(p)
              + " must hold "
              + 2 * k.length
              + " values (heads, then tails)");
    }
    if (p.length != 2 * k.length) {
      p = new int[2 * k.length];
    }
    if (globalPooling) {
      for (int i = 0; i < k.length; i++) {
        if (p[i] != 0 || p[k.length + i] != 0 || d[i] != 1 || s[i] != 1) {
          throw ctx.error("with global_pooling, pad, dilation and stride must not be set");
        }
      }
    } else {
      for (int i = 0; i < k.length; i++) {
        if (k[i] <= 0) {
          throw ctx.error("the kernel size must be set and positive, found " + Arrays.toString(k));
        }
      }
    }
    for (int i = 0; i < k.length; i++) {
      if (s[i] <= 0) {
        throw ctx.error("strides must be positive, found " + Arrays.toString(s));
      }
      if (d[i] <= 0) {
        throw ctx.error("dilations must be positive, found " + Arrays.toString(d));
      }
    }
    for (int v : p) {
      if (v < 0) {
        throw ctx.error("pads must not be negative, found " + Arrays.toString(p));
      }
    }
    group = a.getInt("group", 1);
    if (group <= 0) {
      throw a.error("group", "must be positive, found " + group);
    }
    if (group != 1 && (d[0] != 1 || d[1] != 1)) {
      throw ctx.error("when group is used, dilation should not be set at the same time");
    }
    String order = a.getString("order", "NCHW");
    if (order.equals("NCHW") || order.equals("nchw")) {
      nchw = true;
    } else if (order.equals("NHWC") || order.equals("nhwc")) {
      nchw = false;
    } else {
      throw a.error("order", "must be NCHW or NHWC, found '" + order + "'");
    }
    kernel = k;
    stride = s;
    dilation = d;
    pads = p;
  }

  private static int[] filled(int n, int v) {
    int[] out = new int[n];
    Arrays.fill(out, v);
    return out;
  }

  /** The repeated form, else the single form for both dims, else the _h/_w pair. */
  private static int[] pick(Arguments a, String many, String one, String h, String w) {
    if (a.has(one)) {
      int v = a.getInt(one, 0);
      return new int[] {v, v};
    }
    if (a.has(h) && a.has(w)) {
      return new int[] {a.getInt(h, 0), a.getInt(w, 0)};
    }
    return a.getInts(many);
  }

  /** The geometry for input {@code x} (input {@code index} of the operator), checked. */
  Geometry geometry(Tensor x, int index) {
    if (x.rank() != 4) {
      throw ctx.error(
          "input "
              + index
              + " ('"
              + ctx.inputName(index)
              + "') must be 4-D ("
              + (nchw ? "N, C, H, W" : "N, H, W, C")
              + "), found "
              + x);
    }
    if (x.numel() == 0) {
      throw ctx.error("input " + index + " ('" + ctx.inputName(index) + "') is empty: " + x);
    }
    long[] d = x.dims();
    int n = Math.toIntExact(d[0]);
    int c = Math.toIntExact(nchw ? d[1] : d[3]);
    int h = Math.toIntExact(nchw ? d[2] : d[1]);
    int w = Math.toIntExact(nchw ? d[3] : d[2]);
    int kh = globalPooling ? h : kernel[0];
    int kw = globalPooling ? w : kernel[1];
    int[] padH = {pads[0], pads[2], 0};
    int[] padW = {pads[1], pads[3], 0};
    if (globalPooling) {
      padH = new int[] {0, 0, 1};
      padW = new int[] {0, 0, 1};
    } else {
      size("height", h, stride[0], kh, dilation[0], padH);
      size("width", w, stride[1], kw, dilation[1], padW);
    }
    return new Geometry(
        n,
        c,
        h,
        w,
        kh,
        kw,
        stride[0],
        stride[1],
        dilation[0],
        dilation[1],
        padH[0],
        padW[0],
        padH[1],
        padW[1],
        padH[2],
        padW[2],
        nchw);
  }

  /** Caffe2's ComputeSizeAndPad; {@code pad} is {head, tail, out}, updated in place. */
  private void size(String what, int in, int stride, int kernel, int dilation, int[] pad) {
    int dk = dilation * (kernel - 1) + 1;
    switch (legacyPad) {
      case NOTSET -> {
        if (in + pad[0] + pad[1] < dk) {
          throw ctx.error(
              "the input "
                  + what
                  + " "
                  + in
                  + " plus padding "
                  + pad[0]
                  + "+"
                  + pad[1]
                  + " is smaller than the kernel's extent "
                  + dk);
        }
        pad[2] = (in + pad[0] + pad[1] - dk) / stride + 1;
      }
      case VALID -> {
        pad[0] = 0;
        pad[1] = 0;
        if (in < dk) {
          throw ctx.error(
              "the input " + what + " " + in + " is smaller than the kernel's extent " + dk);
        }
        pad[2] = (in - dk) / stride + 1;
      }
      case SAME -> {
        if (dilation != 1) {
          throw ctx.error("dilation is not supported with legacy padding SAME");
        }
        int target = (in + stride - 1) / stride;
        int needed = Math.max(0, (target - 1) * stride + kernel - in);
        pad[0] = needed / 2;
        pad[1] = needed - pad[0];
        pad[2] = (in + needed - dk) / stride + 1;
      }
      default -> {
        // CAFFE_LEGACY_POOLING: Caffe rounds the output size up, then keeps the last window
        // starting inside the image; the tail padding grows to cover it.
        int head = pad[0];
        int out = (int) Math.ceil((double) (in + head * 2 - kernel) / stride + 1);
        if (head > 0 && (out - 1) * stride >= in + head) {
          out--;
        }
        int standard = (in + head * 2 - kernel) / stride + 1;
        if (in + head * 2 < kernel) {
          throw ctx.error(
              "the input "
                  + what
                  + " "
                  + in
                  + " plus padding is smaller than the kernel "
                  + kernel);
        }
        pad[1] = head + stride * (out - standard);
        pad[2] = out;
      }
    }
  }
}
