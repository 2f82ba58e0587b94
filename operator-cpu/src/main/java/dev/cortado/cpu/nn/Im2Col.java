package dev.cortado.cpu.nn;

import dev.cortado.cpu.nn.ConvPoolArgs.Geometry;

/**
 * Image-to-column copies for convolution by GEMM, and their adjoints (column-to-image sums).
 *
 * <p>NCHW: the column matrix has one row per (channel, kernel row, kernel column) and one column
 * per output pixel, so {@code W (M x C*kh*kw) * col} is the output. NHWC: one row per output pixel
 * and one column per (kernel row, kernel column, channel), matching the NHWC filter layout.
 */
final class Im2Col {
  private Im2Col() {}

  /** Channels [c0, c0+cg) of image {@code img} (at offset {@code xOff}) into {@code col}. */
  static void nchw(Geometry g, float[] x, int xOff, int c0, int cg, float[] col) {
    int ohw = g.oh() * g.ow();
    int hw = g.h() * g.w();
    int row = 0;
    for (int c = 0; c < cg; c++) {
      int plane = xOff + (c0 + c) * hw;
      for (int ki = 0; ki < g.kh(); ki++) {
        for (int kj = 0; kj < g.kw(); kj++, row++) {
          int dst = row * ohw;
          int colShift = kj * g.dw() - g.padL();
          for (int oy = 0; oy < g.oh(); oy++) {
            int iy = oy * g.sh() - g.padT() + ki * g.dh();
            int d = dst + oy * g.ow();
            if (iy < 0 || iy >= g.h()) {
              java.util.Arrays.fill(col, d, d + g.ow(), 0f);
              continue;
            }
            int src = plane + iy * g.w();
            if (g.sw() == 1) {
              // Contiguous run: zeros where the window leaves the image, a copy in between.
              int lo = Math.max(0, -colShift);
              int hi = Math.min(g.ow(), g.w() - colShift);
              if (hi <= lo) {
                java.util.Arrays.fill(col, d, d + g.ow(), 0f);
                continue;
              }
              java.util.Arrays.fill(col, d, d + lo, 0f);
              System.arraycopy(x, src + lo + colShift, col, d + lo, hi - lo);
              java.util.Arrays.fill(col, d + hi, d + g.ow(), 0f);
            } else {
              for (int ox = 0; ox < g.ow(); ox++) {
                int ix = ox * g.sw() + colShift;
                col[d + ox] = ix >= 0 && ix < g.w() ? x[src + ix] : 0f;
              }
            }
          }
        }
      }
    }
  }

  /** The adjoint of {@link #nchw}: adds {@code col} into channels [c0, c0+cg) of {@code dx}. */
  static void nchwAdd(Geometry g, float[] col, float[] dx, int xOff, int c0, int cg) {
    int ohw = g.oh() * g.ow();
    int hw = g.h() * g.w();
    int row = 0;
    for (int c = 0; c < cg; c++) {
      int plane = xOff + (c0 + c) * hw;
      for (int ki = 0; ki < g.kh(); ki++) {
        for (int kj = 0; kj < g.kw(); kj++, row++) {
          int src = row * ohw;
          int colShift = kj * g.dw() - g.padL();
          for (int oy = 0; oy < g.oh(); oy++) {
            int iy = oy * g.sh() - g.padT() + ki * g.dh();
            if (iy < 0 || iy >= g.h()) {
              continue;
            }
            int s = src + oy * g.ow();
            int dst = plane + iy * g.w();
            for (int ox = 0; ox < g.ow(); ox++) {
              int ix = ox * g.sw() + colShift;
              if (ix >= 0 && ix < g.w()) {
                dx[dst + ix] += col[s + ox];
              }
            }
          }
        }
      }
    }
  }

  /** NHWC: channels [c0, c0+cg) of the image at {@code xOff} into {@code col} (ohw x kh*kw*cg). */
  static void nhwc(Geometry g, float[] x, int xOff, int c0, int cg, float[] col) {
    int k = g.kh() * g.kw() * cg;
    int r = 0;
    for (int oy = 0; oy < g.oh(); oy++) {
      for (int ox = 0; ox < g.ow(); ox++, r++) {
        int d = r * k;
        for (int ki = 0; ki < g.kh(); ki++) {
          int iy = oy * g.sh() - g.padT() + ki * g.dh();
          for (int kj = 0; kj < g.kw(); kj++, d += cg) {
            int ix = ox * g.sw() - g.padL() + kj * g.dw();
            if (iy < 0 || iy >= g.h() || ix < 0 || ix >= g.w()) {
              java.util.Arrays.fill(col, d, d + cg, 0f);
            } else {
              System.arraycopy(x, xOff + (iy * g.w() + ix) * g.c() + c0, col, d, cg);
            }
          }
        }
      }
    }
  }

  /** The adjoint of {@link #nhwc}. */
  static void nhwcAdd(Geometry g, float[] col, float[] dx, int xOff, int c0, int cg) {
    int k = g.kh() * g.kw() * cg;
    int r = 0;
    for (int oy = 0; oy < g.oh(); oy++) {
      for (int ox = 0; ox < g.ow(); ox++, r++) {
        int s = r * k;
        for (int ki = 0; ki < g.kh(); ki++) {
          int iy = oy * g.sh() - g.padT() + ki * g.dh();
          for (int kj = 0; kj < g.kw(); kj++, s += cg) {
            int ix = ox * g.sw() - g.padL() + kj * g.dw();
            if (iy >= 0 && iy < g.h() && ix >= 0 && ix < g.w()) {
              int dst = xOff + (iy * g.w() + ix) * g.c() + c0;
              for (int c = 0; c < cg; c++) {
                dx[dst + c] += col[s + c];
              }
            }
          }
        }
      }
    }
  }
}
