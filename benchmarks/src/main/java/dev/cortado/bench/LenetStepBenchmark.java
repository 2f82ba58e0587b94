package dev.cortado.bench;

import com.google.protobuf.TextFormat;
import dev.cortado.net.Net;
import dev.cortado.proto.NetDef;
import dev.cortado.runtime.CortadoRuntime;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import dev.cortado.workspace.Workspace;
import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
 * The compute of one LeNet training step on a batch of 64 (the MNIST tutorial's net): forward, loss
 * and every gradient operator, without the input and the parameter update. {@code forward} runs the
 * forward half alone. The GEMM is the JVM's default; add {@code -jvmArgsAppend -Dcortado.gemm=java}
 * to time the portable kernel. The secondary results {@code cpuNanos / calls} give the process's
 * CPU time per invocation (all threads), which a shared machine's load disturbs much less than the
 * wall time.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class LenetStepBenchmark {
  @Param({"64"})
  public int batch;

  private Workspace ws;
  private Net forward;
  private Net backward;

  static final String FORWARD =
      "name: 'fwd'"
          + " op { type: 'Conv' input: 'data' input: 'conv1_w' input: 'conv1_b' output: 'conv1' arg { name: 'kernel' i: 5 } }"
          + " op { type: 'MaxPool' input: 'conv1' output: 'pool1' arg { name: 'kernel' i: 2 } arg { name: 'stride' i: 2 } }"
          + " op { type: 'Conv' input: 'pool1' input: 'conv2_w' input: 'conv2_b' output: 'conv2' arg { name: 'kernel' i: 5 } }"
          + " op { type: 'MaxPool' input: 'conv2' output: 'pool2' arg { name: 'kernel' i: 2 } arg { name: 'stride' i: 2 } }"
          + " op { type: 'FC' input: 'pool2' input: 'fc3_w' input: 'fc3_b' output: 'fc3' }"
          + " op { type: 'Relu' input: 'fc3' output: 'fc3' }"
          + " op { type: 'FC' input: 'fc3' input: 'pred_w' input: 'pred_b' output: 'pred' }"
          + " op { type: 'Softmax' input: 'pred' output: 'softmax' }"
          + " op { type: 'LabelCrossEntropy' input: 'softmax' input: 'label' output: 'xent' }"
          + " op { type: 'AveragedLoss' input: 'xent' output: 'loss' }"
          + " op { type: 'Accuracy' input: 'softmax' input: 'label' output: 'accuracy' }";

  static final String BACKWARD =
      "name: 'bwd'"
          + " op { type: 'ConstantFill' input: 'loss' output: 'loss_autogen_grad' arg { name: 'value' f: 1.0 } }"
          + " op { type: 'AveragedLossGradient' input: 'xent' input: 'loss_autogen_grad' output: 'xent_grad' }"
          + " op { type: 'LabelCrossEntropyGradient' input: 'softmax' input: 'label' input: 'xent_grad' output: 'softmax_grad' }"
          + " op { type: 'SoftmaxGradient' input: 'softmax' input: 'softmax_grad' output: 'pred_grad' }"
          + " op { type: 'FCGradient' input: 'fc3' input: 'pred_w' input: 'pred_grad' output: 'pred_w_grad' output: 'pred_b_grad' output: 'fc3_grad' }"
          + " op { type: 'ReluGradient' input: 'fc3' input: 'fc3_grad' output: 'fc3_grad' }"
          + " op { type: 'FCGradient' input: 'pool2' input: 'fc3_w' input: 'fc3_grad' output: 'fc3_w_grad' output: 'fc3_b_grad' output: 'pool2_grad' }"
          + " op { type: 'MaxPoolGradient' input: 'conv2' input: 'pool2' input: 'pool2_grad' output: 'conv2_grad' arg { name: 'kernel' i: 2 } arg { name: 'stride' i: 2 } }"
          + " op { type: 'ConvGradient' input: 'pool1' input: 'conv2_w' input: 'conv2_grad' output: 'conv2_w_grad' output: 'conv2_b_grad' output: 'pool1_grad' arg { name: 'kernel' i: 5 } }"
          + " op { type: 'MaxPoolGradient' input: 'conv1' input: 'pool1' input: 'pool1_grad' output: 'conv1_grad' arg { name: 'kernel' i: 2 } arg { name: 'stride' i: 2 } }"
          + " op { type: 'ConvGradient' input: 'data' input: 'conv1_w' input: 'conv1_grad' output: 'conv1_w_grad' output: 'conv1_b_grad' arg { name: 'kernel' i: 5 } }";

  @Setup(Level.Trial)
  public void setup() throws Exception {
    ws = CortadoRuntime.create().newWorkspace();
    SplittableRandom r = new SplittableRandom(1);
    put(r, "data", 0.5, batch, 1, 28, 28);
    put(r, "conv1_w", 0.2, 20, 1, 5, 5);
    put(r, "conv1_b", 0.1, 20);
    put(r, "conv2_w", 0.05, 50, 20, 5, 5);
    put(r, "conv2_b", 0.1, 50);
    put(r, "fc3_w", 0.03, 500, 800);
    put(r, "fc3_b", 0.1, 500);
    put(r, "pred_w", 0.05, 10, 500);
    put(r, "pred_b", 0.1, 10);
    Tensor label = Tensor.allocate(DataType.INT32, batch);
    for (int i = 0; i < batch; i++) {
      label.data().putInt(i * 4, i % 10);
    }
    ws.createBlob("label").set(label);
    forward = ws.createNet(parse(FORWARD), true);
    backward = ws.createNet(parse(BACKWARD), true);
  }

  private void put(SplittableRandom r, String name, double scale, long... dims) {
    Tensor t = Tensor.allocate(DataType.FLOAT, dims);
    for (int i = 0; i < t.numel(); i++) {
      t.data().putFloat(i * 4, (float) (scale * r.nextDouble(-1, 1)));
    }
    ws.createBlob(name).set(t);
  }

  private static NetDef parse(String text) throws TextFormat.ParseException {
    NetDef.Builder b = NetDef.newBuilder();
    TextFormat.merge(text, b);
    return b.build();
  }

  @TearDown(Level.Trial)
  public void close() {
    ws.close();
  }

  /** The process's CPU time across the invocations of one iteration. */
  @AuxCounters(AuxCounters.Type.EVENTS)
  @State(Scope.Thread)
  public static class CpuTime {
    private static final com.sun.management.OperatingSystemMXBean OS =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    public long cpuNanos;
    public long calls;

    @Setup(Level.Iteration)
    public void reset() {
      cpuNanos = 0;
      calls = 0;
    }

    long now() {
      return OS.getProcessCpuTime();
    }
  }

  @Benchmark
  public void step(CpuTime cpu) {
    long t0 = cpu.now();
    forward.run();
    backward.run();
    cpu.cpuNanos += cpu.now() - t0;
    cpu.calls++;
  }

  @Benchmark
  public void forward(CpuTime cpu) {
    long t0 = cpu.now();
    forward.run();
    cpu.cpuNanos += cpu.now() - t0;
    cpu.calls++;
  }
}
