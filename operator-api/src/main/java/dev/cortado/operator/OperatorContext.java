package dev.cortado.operator;

import dev.cortado.proto.DeviceOption;
import dev.cortado.proto.OperatorDef;
import dev.cortado.workspace.Blob;
import dev.cortado.workspace.Workspace;
import java.util.List;

/**
 * Everything an operator sees at construction: its {@code OperatorDef} (device option already
 * inherited from the net), typed {@link Arguments}, its input and output blobs, where it sits in
 * its net, and the runtime {@link Services}. Made by {@link OperatorRegistry#create}.
 */
public final class OperatorContext {
  private final OperatorDef def;
  private final Workspace workspace;
  private final String netName;
  private final int index;
  private final String engine;
  private final OperatorSchema schema;
  private final Arguments args;
  private final Blob[] inputs;
  private final Blob[] outputs;

  OperatorContext(
      OperatorDef def,
      Workspace workspace,
      String netName,
      int index,
      String engine,
      OperatorSchema schema,
      Blob[] inputs,
      Blob[] outputs) {
    this.def = def;
    this.workspace = workspace;
    this.netName = netName;
    this.index = index;
    this.engine = engine;
    this.schema = schema;
    this.inputs = inputs;
    this.outputs = outputs;
    this.args = Arguments.forOperator(def.getArgList(), describe(def, netName, index));
  }

  public OperatorDef def() {
    return def;
  }

  public String type() {
    return def.getType();
  }

  /** The operator's {@code name} field; often empty. */
  public String name() {
    return def.getName();
  }

  /** Position in the net, or -1 when the operator runs on its own. */
  public int index() {
    return index;
  }

  /** The owning net's name, or null when the operator runs on its own. */
  public String netName() {
    return netName;
  }

  /** The engine that was chosen; {@code ""} for the default one. */
  public String engine() {
    return engine;
  }

  public OperatorSchema schema() {
    return schema;
  }

  public DeviceOption deviceOption() {
    return def.getDeviceOption();
  }

  public int deviceType() {
    return def.getDeviceOption().getDeviceType();
  }

  public Arguments args() {
    return args;
  }

  public int inputCount() {
    return inputs.length;
  }

  public int outputCount() {
    return outputs.length;
  }

  public String inputName(int i) {
    return def.getInput(i);
  }

  public String outputName(int i) {
    return def.getOutput(i);
  }

  public Blob input(int i) {
    return inputs[i];
  }

  public Blob output(int i) {
    return outputs[i];
  }

  public List<Blob> inputs() {
    return List.of(inputs);
  }

  public List<Blob> outputs() {
    return List.of(outputs);
  }

  /** Input {@code i} as {@code type}; an error naming this operator, the blob and its content. */
  public <T> T input(int i, Class<T> type) {
    Blob b = inputs[i];
    Object v = b.get();
    if (!type.isInstance(v)) {
      throw error(
          "input " + i + " ('" + b.name() + "') holds " + b.describeValue() + ", expected "
              + type.getSimpleName());
    }
    return type.cast(v);
  }

  public Workspace workspace() {
    return workspace;
  }

  /**
   * A runtime service, such as {@code DbRegistry}; an error when the runtime binds none. Services
   * come from the workspace, which got them from {@code CortadoRuntime} (Guice).
   */
  public <T> T service(Class<T> type) {
    return workspace
        .services()
        .find(type)
        .orElseThrow(
            () ->
                error(
                    "needs the runtime service " + type.getName()
                        + ", but the workspace provides none (create workspaces with"
                        + " CortadoRuntime.newWorkspace())"));
  }

  /** {@code operator Cast (index 2, name 'c') in net 'train'}. */
  public String describe() {
    return describe(def, netName, index);
  }

  /** An {@link OperatorException} whose message starts with {@link #describe()}. */
  public OperatorException error(String message) {
    return new OperatorException(describe() + ": " + message);
  }

  public OperatorException error(String message, Throwable cause) {
    return new OperatorException(describe() + ": " + message, cause);
  }

  /** How messages name an operator: type, then index and name when known, then the net. */
  public static String describe(OperatorDef def, String netName, int index) {
    StringBuilder sb = new StringBuilder("operator ").append(def.getType());
    if (index >= 0 || !def.getName().isEmpty()) {
      sb.append(" (");
      if (index >= 0) {
        sb.append("index ").append(index);
      }
      if (!def.getName().isEmpty()) {
        sb.append(index >= 0 ? ", " : "").append("name '").append(def.getName()).append('\'');
      }
      sb.append(')');
    }
    if (netName != null) {
      sb.append(" in net '").append(netName).append('\'');
    }
    return sb.toString();
  }
}
