package dev.cortado.operator;

import java.util.Locale;
import java.util.Objects;

/**
 * One operator implementation, keyed by (type, device type, engine) as in Caffe2; the type comes
 * from the schema. The engine is {@code ""} for the default engine ({@code "DEFAULT"} means the
 * same).
 */
public record OperatorRegistration(
    OperatorSchema schema, int deviceType, String engine, OperatorFactory factory) {

  public OperatorRegistration {
    Objects.requireNonNull(schema, "schema");
    Objects.requireNonNull(factory, "factory");
    engine = normalizeEngine(engine);
  }

  /** The default-engine CPU implementation of {@code schema}'s type. */
  public static OperatorRegistration cpu(OperatorSchema schema, OperatorFactory factory) {
    return new OperatorRegistration(schema, DeviceTypes.CPU, "", factory);
  }

  /** The default-engine CUDA implementation of {@code schema}'s type. */
  public static OperatorRegistration cuda(OperatorSchema schema, OperatorFactory factory) {
    return new OperatorRegistration(schema, DeviceTypes.CUDA, "", factory);
  }

  public String type() {
    return schema.type();
  }

  /** Caffe2's registry key: the type, or {@code <type>_ENGINE_<engine>}. */
  public String key() {
    return engine.isEmpty() ? type() : type() + "_ENGINE_" + engine;
  }

  /** {@code ""} for null, blank and {@code DEFAULT}; otherwise the trimmed name. */
  static String normalizeEngine(String engine) {
    if (engine == null) {
      return "";
    }
    String e = engine.trim();
    return e.toUpperCase(Locale.ROOT).equals("DEFAULT") ? "" : e;
  }
}
