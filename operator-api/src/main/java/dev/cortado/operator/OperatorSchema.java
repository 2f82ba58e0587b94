package dev.cortado.operator;

import dev.cortado.proto.Argument;
import dev.cortado.proto.OperatorDef;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What an operator type accepts, as in Caffe2's {@code OPERATOR_SCHEMA}: input and output count
 * ranges, in-place rules, documented arguments (with defaults and a {@code required} bit), a
 * one-line doc and the gradient kind. {@link #verify} runs Caffe2's checks in Caffe2's order.
 *
 * @param allowedInplace (input, output) pairs that may share a blob name
 * @param enforcedInplace (input, output) pairs that must share a blob name
 */
public record OperatorSchema(
    String type,
    int minInputs,
    int maxInputs,
    int minOutputs,
    int maxOutputs,
    Set<InPlace> allowedInplace,
    Set<InPlace> enforcedInplace,
    List<ArgumentSpec> arguments,
    String doc,
    Gradient gradient) {

  /** No upper bound on a count. */
  public static final int MANY = Integer.MAX_VALUE;

  /** One (input index, output index) pair of an in-place rule. */
  public record InPlace(int input, int output) {}

  /**
   * A documented argument.
   *
   * @param defaultValue the default as users would write it, or null when there is none
   * @param value the default as the operator reads it ({@code Float}, {@code Integer}, {@code
   *     Long}, {@code Boolean}, {@code String} or {@code float[]}), or null when it was declared as
   *     text only; see {@link OperatorContext#floatArg} and its siblings
   */
  public record ArgumentSpec(
      String name, String defaultValue, boolean required, String doc, Object value) {
    public ArgumentSpec {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(doc, "doc");
      if (value instanceof float[] floats) {
        value = floats.clone();
      }
    }

    /** An argument whose default is documented as text only. */
    public ArgumentSpec(String name, String defaultValue, boolean required, String doc) {
      this(name, defaultValue, required, doc, null);
    }

    @Override
    public Object value() {
      return value instanceof float[] floats ? floats.clone() : value;
    }
  }

  public OperatorSchema {
    Objects.requireNonNull(type, "type");
    if (type.isEmpty()) {
      throw new IllegalArgumentException("an operator schema needs a type");
    }
    if (minInputs < 0 || maxInputs < minInputs || minOutputs < 0 || maxOutputs < minOutputs) {
      throw new IllegalArgumentException(
          "bad count ranges for "
              + type
              + ": inputs "
              + minInputs
              + ".."
              + maxInputs
              + ", outputs "
              + minOutputs
              + ".."
              + maxOutputs);
    }
    allowedInplace = Set.copyOf(allowedInplace);
    enforcedInplace = Set.copyOf(enforcedInplace);
    arguments = List.copyOf(arguments);
    Objects.requireNonNull(doc, "doc");
    Objects.requireNonNull(gradient, "gradient");
  }

  public static Builder builder(String type) {
    return new Builder(type);
  }

  /** The documented argument of this name, if any. */
  public Optional<ArgumentSpec> argument(String name) {
    return arguments.stream().filter(a -> a.name().equals(name)).findFirst();
  }

  /**
   * The default of argument {@code name} as {@code type}: the typed default it was declared with
   * ({@link Builder#floatArg} and its siblings), else its text default parsed as {@code type}. An
   * {@link IllegalStateException} (a bug in the operator, not in the net) when the schema does not
   * document the argument or documents no default of that type.
   */
  public <T> T defaultOf(String name, Class<T> type) {
    ArgumentSpec spec =
        argument(name)
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "the schema of "
                            + this.type
                            + " documents no argument '"
                            + name
                            + "'; add it to the schema with its default"));
    Object value = spec.value();
    if (value == null && spec.defaultValue() != null) {
      value = parse(spec.defaultValue(), type);
    }
    if (!type.isInstance(value)) {
      throw new IllegalStateException(
          "argument '"
              + name
              + "' of "
              + this.type
              + " has no default of type "
              + type.getSimpleName()
              + " (declared: "
              + (spec.defaultValue() == null ? "none" : spec.defaultValue())
              + ")");
    }
    return type.cast(value);
  }

  private static Object parse(String text, Class<?> type) {
    String t = text.trim();
    try {
      if (type == Float.class) {
        return Float.parseFloat(t);
      }
      if (type == Integer.class) {
        return Integer.parseInt(t);
      }
      if (type == Long.class) {
        return Long.parseLong(t);
      }
      if (type == Boolean.class) {
        return switch (t) {
          case "0", "false" -> Boolean.FALSE;
          case "1", "true" -> Boolean.TRUE;
          default -> null;
        };
      }
    } catch (NumberFormatException e) {
      return null;
    }
    if (type == String.class) {
      return t.equals("\"\"") ? "" : t;
    }
    return null;
  }

  /**
   * Caffe2's {@code OpSchema::Verify}: input count, output count, in-place rules for every (input,
   * output) pair, then every required argument. Returns the first violation.
   */
  public Optional<String> check(OperatorDef def) {
    int in = def.getInputCount();
    int out = def.getOutputCount();
    if (in < minInputs || in > maxInputs) {
      return Optional.of("expected " + range(minInputs, maxInputs) + " inputs, found " + in);
    }
    if (out < minOutputs || out > maxOutputs) {
      return Optional.of("expected " + range(minOutputs, maxOutputs) + " outputs, found " + out);
    }
    for (int i = 0; i < in; i++) {
      for (int o = 0; o < out; o++) {
        boolean same = def.getInput(i).equals(def.getOutput(o));
        InPlace pair = new InPlace(i, o);
        if (same && !allowedInplace.contains(pair) && !enforcedInplace.contains(pair)) {
          return Optional.of(
              "input "
                  + i
                  + " and output "
                  + o
                  + " are both '"
                  + def.getInput(i)
                  + "' but this operator does not run in place on them");
        }
        if (!same && enforcedInplace.contains(pair)) {
          return Optional.of(
              "input "
                  + i
                  + " ('"
                  + def.getInput(i)
                  + "') and output "
                  + o
                  + " ('"
                  + def.getOutput(o)
                  + "') must be the same blob (in-place is enforced)");
        }
      }
    }
    Set<String> present = new HashSet<>();
    for (Argument a : def.getArgList()) {
      present.add(a.getName());
    }
    for (ArgumentSpec spec : arguments) {
      if (spec.required() && !present.contains(spec.name())) {
        return Optional.of("required argument '" + spec.name() + "' is missing");
      }
    }
    return Optional.empty();
  }

  /**
   * Throws a {@link SchemaException} starting with {@code owner} (the operator's description) when
   * {@link #check} finds a violation.
   */
  public void verify(OperatorDef def, String owner) {
    Optional<String> problem = check(def);
    if (problem.isPresent()) {
      throw new SchemaException(
          owner
              + " did not pass schema checking: "
              + problem.get()
              + " (schema: "
              + summary()
              + ")");
    }
  }

  /** One line for listings: counts, in-place pairs and gradient kind. */
  public String summary() {
    StringBuilder sb = new StringBuilder();
    sb.append("inputs ").append(range(minInputs, maxInputs));
    sb.append(", outputs ").append(range(minOutputs, maxOutputs));
    if (!allowedInplace.isEmpty()) {
      sb.append(", in-place allowed ").append(pairs(allowedInplace));
    }
    if (!enforcedInplace.isEmpty()) {
      sb.append(", in-place enforced ").append(pairs(enforcedInplace));
    }
    sb.append(", ").append(gradient);
    return sb.toString();
  }

  private static String pairs(Set<InPlace> set) {
    List<String> parts = new ArrayList<>();
    set.stream()
        .sorted((a, b) -> a.input() != b.input() ? a.input() - b.input() : a.output() - b.output())
        .forEach(p -> parts.add("(" + p.input() + "," + p.output() + ")"));
    return String.join("", parts);
  }

  static String range(int min, int max) {
    if (min == max) {
      return Integer.toString(min);
    }
    return max == MANY ? min + "..many" : min + ".." + max;
  }

  /** Builds a schema; the defaults are Caffe2's: any counts, no in-place, no arguments. */
  public static final class Builder {
    private final String type;
    private int minInputs = 0;
    private int maxInputs = MANY;
    private int minOutputs = 0;
    private int maxOutputs = MANY;
    private final Set<InPlace> allowed = new LinkedHashSet<>();
    private final Set<InPlace> enforced = new LinkedHashSet<>();
    private final List<ArgumentSpec> args = new ArrayList<>();
    private String doc = "";
    private Gradient gradient = Gradient.GRADIENT_NOT_IMPLEMENTED_YET;

    private Builder(String type) {
      this.type = type;
    }

    public Builder inputs(int min, int max) {
      this.minInputs = min;
      this.maxInputs = max;
      return this;
    }

    public Builder numInputs(int n) {
      return inputs(n, n);
    }

    public Builder outputs(int min, int max) {
      this.minOutputs = min;
      this.maxOutputs = max;
      return this;
    }

    public Builder numOutputs(int n) {
      return outputs(n, n);
    }

    public Builder allowInplace(int input, int output) {
      allowed.add(new InPlace(input, output));
      return this;
    }

    public Builder enforceInplace(int input, int output) {
      enforced.add(new InPlace(input, output));
      return this;
    }

    /** An optional argument with a default ({@code null} when it has none). */
    public Builder arg(String name, String defaultValue, String doc) {
      args.add(new ArgumentSpec(name, defaultValue, false, doc));
      return this;
    }

    /**
     * An optional float argument (field {@code f}); read it with {@link OperatorContext#floatArg}.
     */
    public Builder floatArg(String name, float defaultValue, String doc) {
      args.add(new ArgumentSpec(name, Float.toString(defaultValue), false, doc, defaultValue));
      return this;
    }

    /** An optional int argument (field {@code i}); read it with {@link OperatorContext#intArg}. */
    public Builder intArg(String name, int defaultValue, String doc) {
      args.add(new ArgumentSpec(name, Integer.toString(defaultValue), false, doc, defaultValue));
      return this;
    }

    /**
     * An optional int64 argument (field {@code i}); read it with {@link OperatorContext#longArg}.
     */
    public Builder longArg(String name, long defaultValue, String doc) {
      args.add(new ArgumentSpec(name, Long.toString(defaultValue), false, doc, defaultValue));
      return this;
    }

    /**
     * An optional bool argument (field {@code i}, 0 or 1); read it with {@link
     * OperatorContext#boolArg}.
     */
    public Builder boolArg(String name, boolean defaultValue, String doc) {
      args.add(new ArgumentSpec(name, defaultValue ? "1" : "0", false, doc, defaultValue));
      return this;
    }

    /**
     * An optional string argument (field {@code s}); read it with {@link
     * OperatorContext#stringArg}.
     */
    public Builder stringArg(String name, String defaultValue, String doc) {
      Objects.requireNonNull(defaultValue, "defaultValue");
      String text = defaultValue.isEmpty() ? "\"\"" : defaultValue;
      args.add(new ArgumentSpec(name, text, false, doc, defaultValue));
      return this;
    }

    /**
     * An optional repeated float argument (field {@code floats}); read it with {@link
     * OperatorContext#floatsArg}.
     */
    public Builder floatsArg(String name, float[] defaultValue, String doc) {
      StringBuilder text = new StringBuilder("[");
      for (int i = 0; i < defaultValue.length; i++) {
        text.append(i == 0 ? "" : ", ").append(defaultValue[i]);
      }
      args.add(new ArgumentSpec(name, text.append(']').toString(), false, doc, defaultValue));
      return this;
    }

    public Builder requiredArg(String name, String doc) {
      args.add(new ArgumentSpec(name, null, true, doc));
      return this;
    }

    public Builder doc(String doc) {
      this.doc = doc;
      return this;
    }

    public Builder gradient(Gradient gradient) {
      this.gradient = gradient;
      return this;
    }

    public OperatorSchema build() {
      return new OperatorSchema(
          type,
          minInputs,
          maxInputs,
          minOutputs,
          maxOutputs,
          allowed,
          enforced,
          args,
          doc,
          gradient);
    }
  }
}
