package dev.cortado.bench;

import dev.cortado.cpu.nn.JavaGemm;
import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.JavaBLAS;
import dev.ludovic.netlib.blas.NativeBLAS;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Single-precision GEMM candidates on the shapes of LeNet's training step (batch 64), one thread
 * each: the hand-written {@link JavaGemm}, dev.ludovic.netlib (its JNI path to the system's {@code
 * libblas.so.3} and its pure-Java path) and bytedeco's bundled OpenBLAS (operands off-heap, and
 * from heap arrays, which JNI copies). One invocation is the whole batch's work for one shape: 64
 * GEMMs for a convolution (one per image), one GEMM for a fully connected layer. GFLOP/s = {@code
 * 2*m*n*k*count / time}. Run with {@code OPENBLAS_NUM_THREADS=1} so that the native libraries stay
 * on one thread, as the operators call them.
 *
 * <p>On a shared machine the wall time includes the time other processes held the core, so the
 * secondary results {@code cpuNanos} and {@code calls} also give this thread's own CPU time per
 * invocation ({@code cpuNanos / calls}), which is much less sensitive to the machine's load.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
@State(Scope.Thread)
public class GemmBenchmark {
  /** {@code name:m,n,k,transA,transB,count}, row-major C(m x n) = op(A) op(B). */
  @Param({
    "conv1:20,576,25,N,N,64",
    "conv2:50,64,500,N,N,64",
    "conv2dW:50,500,64,N,T,64",
    "conv2dX:500,64,50,T,N,64",
    "fc1:64,500,800,N,T,1",
    "fc1dW:500,800,64,T,N,1",
    "fc2:64,10,500,N,T,1"
  })
  public String shape;

  @Param({"java", "netlib-native", "netlib-java", "openblas-offheap", "openblas-heap"})
  public String kernel;

  private int m;
  private int n;
  private int k;
  private boolean ta;
  private boolean tb;
  private int count;
  private float[] a;
  private float[] b;
  private float[] c;
  private FloatPointer pa;
  private FloatPointer pb;
  private FloatPointer pc;
  private final JavaGemm java = new JavaGemm();
  private BLAS netlib;

  @Setup(Level.Trial)
  public void setup() {
    String[] p = shape.substring(shape.indexOf(':') + 1).split(",");
    m = Integer.parseInt(p[0]);
    n = Integer.parseInt(p[1]);
    k = Integer.parseInt(p[2]);
    ta = p[3].equals("T");
    tb = p[4].equals("T");
    count = Integer.parseInt(p[5]);
    SplittableRandom r = new SplittableRandom(7);
    a = new float[m * k];
    b = new float[k * n];
    c = new float[m * n];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) r.nextDouble(-1, 1);
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) r.nextDouble(-1, 1);
    }
    switch (kernel) {
      case "netlib-native" -> netlib = NativeBLAS.getInstance();
      case "netlib-java" -> netlib = JavaBLAS.getInstance();
      case "openblas-offheap", "openblas-heap" -> {
        openblas.blas_set_num_threads(1);
        pa = new FloatPointer(a);
        pb = new FloatPointer(b);
        pc = new FloatPointer(c);
      }
      default -> {}
    }
    // One result checked against the Java kernel, so that no candidate is timed doing nothing.
    float[] want = new float[m * n];
    java.sgemm(ta, tb, m, n, k, 1f, a, 0, ta ? m : k, b, 0, tb ? k : n, 0f, want, 0, n);
    run();
    if (pc != null && kernel.equals("openblas-offheap")) {
      pc.get(c);
    }
    for (int i = 0; i < want.length; i++) {
      if (Math.abs(want[i] - c[i]) > 1e-3f * (1 + Math.abs(want[i]))) {
        throw new IllegalStateException(
            kernel + " differs at " + i + ": " + c[i] + " vs " + want[i]);
      }
    }
  }

  @TearDown(Level.Trial)
  public void close() {
    if (pa != null) {
      pa.close();
      pb.close();
      pc.close();
    }
  }

  /** This thread's CPU time across the invocations of one iteration. */
  @AuxCounters(AuxCounters.Type.EVENTS)
  @State(Scope.Thread)
  public static class CpuTime {
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
    public long cpuNanos;
    public long calls;

    @Setup(Level.Iteration)
    public void reset() {
      cpuNanos = 0;
      calls = 0;
    }
  }

  @Benchmark
  public float gemm(CpuTime cpu) {
    long t0 = CpuTime.MX.getCurrentThreadCpuTime();
    float r = run();
    cpu.cpuNanos += CpuTime.MX.getCurrentThreadCpuTime() - t0;
    cpu.calls++;
    return r;
  }

  private float run() {
    int lda = ta ? m : k;
    int ldb = tb ? k : n;
    for (int i = 0; i < count; i++) {
      switch (kernel) {
        case "java" -> java.sgemm(ta, tb, m, n, k, 1f, a, 0, lda, b, 0, ldb, 0f, c, 0, n);
        case "netlib-native", "netlib-java" ->
            // Column-major: C^T = op(B)^T op(A)^T.
            netlib.sgemm(
                tb ? "T" : "N", ta ? "T" : "N", n, m, k, 1f, b, 0, ldb, a, 0, lda, 0f, c, 0, n);
        case "openblas-offheap" ->
            openblas.cblas_sgemm(
                openblas.CblasRowMajor,
                ta ? openblas.CblasTrans : openblas.CblasNoTrans,
                tb ? openblas.CblasTrans : openblas.CblasNoTrans,
                m,
                n,
                k,
                1f,
                pa,
                lda,
                pb,
                ldb,
                0f,
                pc,
                n);
        case "openblas-heap" ->
            openblas.cblas_sgemm(
                openblas.CblasRowMajor,
                ta ? openblas.CblasTrans : openblas.CblasNoTrans,
                tb ? openblas.CblasTrans : openblas.CblasNoTrans,
                m,
                n,
                k,
                1f,
                a,
                lda,
                b,
                ldb,
                0f,
                c,
                n);
        default -> throw new IllegalArgumentException("unknown kernel " + kernel);
      }
    }
    return c[0];
  }
}
