package dev.cortado.operator;

import dev.cortado.CortadoException;
import dev.cortado.proto.Argument;
import dev.cortado.proto.OperatorDef;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * What a {@link GradientMaker} sees: the forward operator and the gradients of its outputs, with
 * Caffe2's naming helpers ({@code I}, {@code O}, {@code GI}, {@code GO}). It records which input
 * gradients the maker produced; those become the input gradients the backward pass continues from.
 */
public final class GradientContext {
  private final OperatorDef def;
  private final List<String> outputGradients;
  private final String[] inputGradients;

  /**
   * @param def the forward operator
   * @param outputGradients the gradient blob of each output, {@code null} where there is none
   */
  public GradientContext(OperatorDef def, List<String> outputGradients) {
    if (outputGradients.size() != def.getOutputCount()) {
      throw new IllegalArgumentException(
          outputGradients.size() + " output gradients for " + def.getOutputCount() + " outputs");
    }
    this.def = def;
    this.outputGradients = Collections.unmodifiableList(new ArrayList<>(outputGradients));
    this.inputGradients = new String[def.getInputCount()];
  }

  /** Caffe2's gradient name of a blob: {@code <name>_grad}. */
  public static String gradientName(String blob) {
    return blob + "_grad";
  }

  public OperatorDef def() {
    return def;
  }

  /** Input {@code k}'s name ({@code I(k)}). */
  public String i(int k) {
    checkIndex(k, def.getInputCount(), "input");
    return def.getInput(k);
  }

  /** Output {@code k}'s name ({@code O(k)}). */
  public String o(int k) {
    checkIndex(k, def.getOutputCount(), "output");
    return def.getOutput(k);
  }

  /** The gradient of input {@code k} ({@code GI(k)}), recorded as produced by this maker. */
  public String gi(int k) {
    checkIndex(k, def.getInputCount(), "input");
    inputGradients[k] = gradientName(def.getInput(k));
    return inputGradients[k];
  }

  /** Declares that input {@code k}'s gradient is the existing blob {@code blob} (SetDense). */
  public void setGi(int k, String blob) {
    checkIndex(k, def.getInputCount(), "input");
    inputGradients[k] = blob;
  }

  /** The gradient of output {@code k} ({@code GO(k)}); an error when it is not provided. */
  public String go(int k) {
    checkIndex(k, def.getOutputCount(), "output");
    String g = outputGradients.get(k);
    if (g == null) {
      throw error("the gradient of output " + k + " ('" + def.getOutput(k) + "') is not provided");
    }
    return g;
  }

  /** True when output {@code k} has a gradient. */
  public boolean hasGo(int k) {
    checkIndex(k, def.getOutputCount(), "output");
    return outputGradients.get(k) != null;
  }

  /** The gradient of each input as recorded so far; {@code null} where there is none. */
  public List<String> inputGradients() {
    return Collections.unmodifiableList(Arrays.asList(inputGradients.clone()));
  }

  /** One operator as Caffe2's {@code CreateOperatorDef} builds it (name {@code ""}). */
  public OperatorDef op(String type, List<String> inputs, List<String> outputs, Argument... args) {
    return OperatorDef.newBuilder()
        .setType(type)
        .setName("")
        .addAllInput(inputs)
        .addAllOutput(outputs)
        .addAllArg(Arrays.asList(args))
        .build();
  }

  /** Caffe2's {@code SingleGradientDef}: a list holding one operator. */
  public List<OperatorDef> single(
      String type, List<String> inputs, List<String> outputs, Argument... args) {
    return List.of(op(type, inputs, outputs, args));
  }

  /** An int argument ({@code MakeArgument<int>}). */
  public static Argument intArg(String name, long value) {
    return Argument.newBuilder().setName(name).setI(value).build();
  }

  /** A float argument ({@code MakeArgument<float>}). */
  public static Argument floatArg(String name, float value) {
    return Argument.newBuilder().setName(name).setF(value).build();
  }

  /** An error naming the forward operator. */
  public CortadoException error(String message) {
    return new CortadoException(
        "gradient of " + OperatorContext.describe(def, null, -1) + ": " + message);
  }

  private void checkIndex(int k, int count, String what) {
    if (k < 0 || k >= count) {
      throw error(
          "asks for " + what + " " + k + " but the operator has " + count + " " + what + "s");
    }
  }
}
