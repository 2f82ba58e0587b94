package dev.cortado.operator.testkit;

import com.google.protobuf.ByteString;
import dev.cortado.CortadoException;
import dev.cortado.operator.OperatorProvider;
import dev.cortado.operator.OperatorRegistry;
import dev.cortado.operator.OperatorRunException;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.operator.Services;
import dev.cortado.proto.Argument;
import dev.cortado.proto.DeviceOption;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import dev.cortado.runtime.CortadoRuntime;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import dev.cortado.workspace.Workspace;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Tests an operator the way a net runs it: a one-operator net built by the real runtime (schema
 * checks, argument parsing, blob creation, error wrapping), fed with tensors, run, and its outputs
 * copied out. For example:
 *
 * <pre>{@code
 * var harness = OperatorTestHarness.create();   // the plugins on the test classpath
 * Tensor y = harness.op("Normalize")
 *     .input(OperatorTestHarness.floats(new long[] {1, 2, 1, 1}, 10, 20))
 *     .floats("mean", 10, 10).floats("std", 1, 5)
 *     .run()
 *     .output(0);
 * CortadoException e = harness.op("Normalize").input(x).input(x).fails();  // a schema error
 * }</pre>
 *
 * Every {@link Call#run()} uses a fresh workspace, closed before it returns.
 */
public final class OperatorTestHarness {
  private final Supplier<Workspace> workspaces;
  private final OperatorRegistry registry;

  private OperatorTestHarness(Supplier<Workspace> workspaces, OperatorRegistry registry) {
    this.workspaces = workspaces;
    this.registry = registry;
  }

  /**
   * A harness over every plugin that {@link java.util.ServiceLoader} finds on the classpath, wired
   * as {@code CortadoRuntime.create()} wires them: this also proves the plugin's {@code
   * META-INF/services} registration.
   */
  public static OperatorTestHarness create() {
    CortadoRuntime runtime = CortadoRuntime.create();
    return new OperatorTestHarness(runtime::newWorkspace, runtime.operators());
  }

  /** A harness over exactly these operator providers and no runtime services. */
  public static OperatorTestHarness of(OperatorProvider... providers) {
    OperatorRegistry registry = new OperatorRegistry(List.of(providers));
    return new OperatorTestHarness(() -> new Workspace(registry, Services.none()), registry);
  }

  /** The registered schema of {@code type}; an {@link AssertionError} when none is registered. */
  public OperatorSchema schema(String type) {
    return registry
        .schema(type)
        .orElseThrow(
            () ->
                new AssertionError(
                    "no operator '" + type + "' is registered; registered: " + registry.types()));
  }

  /** Starts describing one operator of {@code type}. */
  public Call op(String type) {
    return new Call(type);
  }

  /** A FLOAT tensor of {@code dims} holding {@code values} in row-major order. */
  public static Tensor floats(long[] dims, float... values) {
    Tensor t = Tensor.allocate(DataType.FLOAT, dims);
    if (t.numel() != values.length) {
      throw new IllegalArgumentException(
          "dims "
              + Arrays.toString(dims)
              + " hold "
              + t.numel()
              + " elements, given "
              + values.length);
    }
    ByteBuffer data = t.data();
    for (int i = 0; i < values.length; i++) {
      data.putFloat(i * 4, values[i]);
    }
    return t;
  }

  /** The elements of a FLOAT tensor; an {@link AssertionError} for any other type. */
  public static float[] values(Tensor t) {
    if (t.dataType() != DataType.FLOAT) {
      throw new AssertionError("expected a FLOAT tensor, found " + t);
    }
    ByteBuffer data = t.data();
    float[] out = new float[Math.toIntExact(t.numel())];
    for (int i = 0; i < out.length; i++) {
      out[i] = data.getFloat(i * 4);
    }
    return out;
  }

  /** One operator under test: its inputs, outputs and arguments, then {@link #run()}. */
  public final class Call {
    private final OperatorDef.Builder def = OperatorDef.newBuilder();
    private final Map<String, Tensor> inputs = new LinkedHashMap<>();
    private final List<String> outputs = new ArrayList<>();

    private Call(String type) {
      def.setType(type);
    }

    /** The next input, named {@code X} for the first, then {@code X1}, {@code X2}, ... */
    public Call input(Tensor value) {
      int i = def.getInputCount();
      return input(i == 0 ? "X" : "X" + i, value);
    }

    /** The next input under a blob name of your choice (the same name twice feeds one blob). */
    public Call input(String blob, Tensor value) {
      def.addInput(blob);
      inputs.put(blob, value);
      return this;
    }

    /** The next output blob; without any, the operator gets one output named {@code Y}. */
    public Call output(String blob) {
      outputs.add(blob);
      return this;
    }

    /** A float argument (field {@code f}). */
    public Call arg(String name, float value) {
      return arg(Argument.newBuilder().setName(name).setF(value).build());
    }

    /** An integer or bool argument (field {@code i}). */
    public Call arg(String name, long value) {
      return arg(Argument.newBuilder().setName(name).setI(value).build());
    }

    /** A string argument (field {@code s}). */
    public Call arg(String name, String value) {
      return arg(Argument.newBuilder().setName(name).setS(ByteString.copyFromUtf8(value)).build());
    }

    /** A repeated float argument (field {@code floats}). */
    public Call floats(String name, float... values) {
      Argument.Builder a = Argument.newBuilder().setName(name);
      for (float v : values) {
        a.addFloats(v);
      }
      return arg(a.build());
    }

    /** A repeated integer argument (field {@code ints}). */
    public Call ints(String name, long... values) {
      Argument.Builder a = Argument.newBuilder().setName(name);
      for (long v : values) {
        a.addInts(v);
      }
      return arg(a.build());
    }

    /** Any argument, as the protobuf message. */
    public Call arg(Argument argument) {
      def.addArg(argument);
      return this;
    }

    /** The device type ({@code dev.cortado.operator.DeviceTypes}) the operator runs on. */
    public Call device(int deviceType) {
      def.setDeviceOption(DeviceOption.newBuilder().setDeviceType(deviceType));
      return this;
    }

    /** The operator's engine, as Caffe2's {@code engine} field. */
    public Call engine(String engine) {
      def.setEngine(engine);
      return this;
    }

    /** The {@code OperatorDef} as it will be run. */
    public OperatorDef def() {
      OperatorDef.Builder b = def.clone();
      if (outputs.isEmpty()) {
        b.addOutput("Y");
      } else {
        b.addAllOutput(outputs);
      }
      return b.build();
    }

    /** Builds the one-op net and runs it once; failures propagate unchanged. */
    public Outputs run() {
      return run(1);
    }

    /** Builds the one-op net and runs it {@code times} times (outputs are those of the last). */
    public Outputs run(int times) {
      OperatorDef op = def();
      NetDef.Builder net = NetDef.newBuilder().setName("harness").addOp(op);
      inputs.keySet().forEach(net::addExternalInput);
      net.addAllExternalOutput(op.getOutputList());
      try (Workspace ws = workspaces.get()) {
        inputs.forEach((name, value) -> ws.createBlob(name).set(value));
        ws.createNet(net.build());
        for (int i = 0; i < times; i++) {
          ws.runNet("harness");
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : op.getOutputList()) {
          Object value = ws.blob(name).get();
          out.put(name, value instanceof Tensor t ? copy(t) : null);
        }
        return new Outputs(out);
      }
    }

    /**
     * Builds and runs the operator, expecting the failure a user would see: a {@link
     * CortadoException} when the net is built (schema and argument errors) or run. An {@link
     * AssertionError} when it succeeds, or when the operator itself threw something other than a
     * {@code CortadoException} (a bug such as an {@code IndexOutOfBoundsException}).
     */
    public CortadoException fails() {
      try {
        run();
      } catch (RuntimeException e) {
        Throwable own =
            e instanceof OperatorRunException && e.getCause() != null ? e.getCause() : e;
        if (!(own instanceof CortadoException) || !(e instanceof CortadoException c)) {
          throw new AssertionError(
              def().getType()
                  + " failed with "
                  + own.getClass().getName()
                  + " instead of a CortadoException with a clear message: "
                  + own.getMessage(),
              e);
        }
        return c;
      }
      throw new AssertionError("expected " + def().getType() + " to fail, but it ran: " + def());
    }
  }

  /** The output blobs of a run, by position and by name. */
  public static final class Outputs {
    private final Map<String, Tensor> byName;

    private Outputs(Map<String, Tensor> byName) {
      this.byName = byName;
    }

    /** Output {@code i} as a tensor; an {@link AssertionError} when it holds none. */
    public Tensor output(int i) {
      List<String> names = new ArrayList<>(byName.keySet());
      if (i < 0 || i >= names.size()) {
        throw new AssertionError("output " + i + " does not exist; outputs: " + names);
      }
      return output(names.get(i));
    }

    /** The output blob {@code name} as a tensor; an {@link AssertionError} when it holds none. */
    public Tensor output(String name) {
      if (!byName.containsKey(name)) {
        throw new AssertionError("no output named '" + name + "'; outputs: " + byName.keySet());
      }
      Tensor t = byName.get(name);
      if (t == null) {
        throw new AssertionError("output '" + name + "' holds no tensor after the run");
      }
      return t;
    }

    /** The elements of FLOAT output {@code i}. */
    public float[] floats(int i) {
      return values(output(i));
    }
  }

  /** A copy that outlives the workspace (operators may reuse or pool their output buffers). */
  private static Tensor copy(Tensor t) {
    if (t.dataType() == DataType.STRING) {
      byte[][] strings = t.strings().clone();
      for (int i = 0; i < strings.length; i++) {
        strings[i] = strings[i].clone();
      }
      return Tensor.ofStrings(t.dims(), strings);
    }
    Tensor c = Tensor.allocate(t.dataType(), t.dims());
    c.data().put(t.data());
    return c;
  }
}
