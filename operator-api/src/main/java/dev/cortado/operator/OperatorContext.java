package dev.cortado.operator;

import dev.cortado.proto.DeviceOption;
import dev.cortado.proto.OperatorDef;
import java.util.List;

/**
 * Everything an operator sees at construction: its {@code OperatorDef} (device option already
 * inherited from the net), typed {@link Arguments}, its input and output blobs, where it sits in
 * its net, and the runtime {@link Services}. The runtime makes one per operator; an operator never
 * sees the workspace itself.
 */
public interface OperatorContext {
  OperatorDef def();

  default String type() {
    return def().getType();
  }

  /** The operator's {@code name} field; often empty. */
  default String name() {
    return def().getName();
  }

  /** Position in the net, or -1 when the operator runs on its own. */
  int index();

  /** The owning net's name, or null when the operator runs on its own. */
  String netName();

  /** The engine that was chosen; {@code ""} for the default one. */
  String engine();

  OperatorSchema schema();

  default DeviceOption deviceOption() {
    return def().getDeviceOption();
  }

  default int deviceType() {
    return def().getDeviceOption().getDeviceType();
  }

  Arguments args();

  /**
   * Argument {@code name} as a float (field {@code f}); when the net does not set it, the default
   * that the {@link #schema()} declares, so the default is written once. A required argument that
   * is missing is an {@link ArgumentException}; an argument the schema does not document is an
   * {@link IllegalStateException} (a bug in the operator).
   */
  default float floatArg(String name) {
    return required(name)
        ? args().requireFloat(name)
        : args().getFloat(name, schema().defaultOf(name, Float.class));
  }

  /** Argument {@code name} as an int (field {@code i}), defaulting as {@link #floatArg} says. */
  default int intArg(String name) {
    return required(name)
        ? args().requireInt(name)
        : args().getInt(name, schema().defaultOf(name, Integer.class));
  }

  /** Argument {@code name} as an int64 (field {@code i}), defaulting as {@link #floatArg} says. */
  default long longArg(String name) {
    return required(name)
        ? args().requireLong(name)
        : args().getLong(name, schema().defaultOf(name, Long.class));
  }

  /** Argument {@code name} as a bool (field {@code i}), defaulting as {@link #floatArg} says. */
  default boolean boolArg(String name) {
    if (required(name)) {
      args().requireInt(name);
      return args().getBool(name, false);
    }
    return args().getBool(name, schema().defaultOf(name, Boolean.class));
  }

  /** Argument {@code name} as a string (field {@code s}), defaulting as {@link #floatArg} says. */
  default String stringArg(String name) {
    return required(name)
        ? args().requireString(name)
        : args().getString(name, schema().defaultOf(name, String.class));
  }

  /**
   * Repeated float argument {@code name} (field {@code floats}); when the net does not set it, the
   * schema's default, as {@link #floatArg} says.
   */
  default float[] floatsArg(String name) {
    if (args().has(name)) {
      return args().getFloats(name);
    }
    if (required(name)) {
      throw new ArgumentException(describe() + ": required argument '" + name + "' is missing");
    }
    return schema().defaultOf(name, float[].class);
  }

  private boolean required(String name) {
    return schema().argument(name).map(OperatorSchema.ArgumentSpec::required).orElse(false);
  }

  int inputCount();

  int outputCount();

  default String inputName(int i) {
    return def().getInput(i);
  }

  default String outputName(int i) {
    return def().getOutput(i);
  }

  Blob input(int i);

  Blob output(int i);

  default List<Blob> inputs() {
    Blob[] all = new Blob[inputCount()];
    for (int i = 0; i < all.length; i++) {
      all[i] = input(i);
    }
    return List.of(all);
  }

  default List<Blob> outputs() {
    Blob[] all = new Blob[outputCount()];
    for (int i = 0; i < all.length; i++) {
      all[i] = output(i);
    }
    return List.of(all);
  }

  /** Input {@code i} as {@code type}; an error naming this operator, the blob and its content. */
  default <T> T input(int i, Class<T> type) {
    Blob b = input(i);
    Object v = b.get();
    if (!type.isInstance(v)) {
      throw error(
          "input "
              + i
              + " ('"
              + b.name()
              + "') holds "
              + b.describeValue()
              + ", expected "
              + type.getSimpleName());
    }
    return type.cast(v);
  }

  /**
   * The named blob of the operator's workspace, created when absent (Caffe2's {@code
   * ws->CreateBlob}); for operators whose outputs are named by arguments, such as {@code Load}.
   */
  Blob createBlob(String name);

  /** The folder that relative DB and log paths resolve against (Caffe2's workspace root folder). */
  String rootFolder();

  /** The runtime services bound for this operator's workspace. */
  Services services();

  /**
   * A runtime service, such as {@code DbRegistry}; an error naming this operator when the runtime
   * binds none.
   */
  default <T> T service(Class<T> type) {
    return services()
        .find(type)
        .orElseThrow(
            () ->
                error(
                    "needs the runtime service "
                        + type.getName()
                        + ", but the workspace provides none (create workspaces with"
                        + " CortadoRuntime.newWorkspace())"));
  }

  /** {@code operator Cast (index 2, name 'c') in net 'train'}. */
  default String describe() {
    return describe(def(), netName(), index());
  }

  /** An {@link OperatorException} whose message starts with {@link #describe()}. */
  default OperatorException error(String message) {
    return new OperatorException(describe() + ": " + message);
  }

  default OperatorException error(String message, Throwable cause) {
    return new OperatorException(describe() + ": " + message, cause);
  }

  /** How messages name an operator: type, then index and name when known, then the net. */
  static String describe(OperatorDef def, String netName, int index) {
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
