package dev.cortado.cpu;

import static dev.cortado.operator.GradientContext.intArg;

import dev.cortado.operator.GradientContext;
import dev.cortado.operator.GradientMaker;
import dev.cortado.operator.GradientRegistration;
import dev.cortado.proto.Argument;
import dev.cortado.proto.OperatorDef;
import dev.cortado.proto.TensorProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The gradient makers of Caffe2's operators that Cortado runs (Caffe2's {@code REGISTER_GRADIENT}):
 * the same gradient operator types, inputs and outputs, so that {@code cortado add-gradients}
 * writes the backward net Caffe2's Python frontend writes. Operators whose schema says {@code
 * NO_GRADIENT} need no maker.
 */
final class GradientMakers {
  private GradientMakers() {}

  /** Every maker, registered by {@link TrainingOperators#gradients()}. */
  static List<GradientRegistration> registrations() {
    List<GradientRegistration> regs = new ArrayList<>();
    regs.add(new GradientRegistration("Conv", GradientMakers::conv));
    regs.add(new GradientRegistration("MaxPool", GradientMakers::pool));
    regs.add(new GradientRegistration("AveragePool", GradientMakers::pool));
    regs.add(
        new GradientRegistration(
            "FC",
            g ->
                g.single(
                    "FCGradient",
                    List.of(g.i(0), g.i(1), g.go(0)),
                    List.of(g.gi(1), g.gi(2), g.gi(0)))));
    regs.add(
        new GradientRegistration(
            "Relu", g -> g.single("ReluGradient", List.of(g.o(0), g.go(0)), List.of(g.gi(0)))));
    regs.add(
        new GradientRegistration(
            "Softmax",
            g -> g.single("SoftmaxGradient", List.of(g.o(0), g.go(0)), List.of(g.gi(0)))));
    regs.add(
        new GradientRegistration(
            "LabelCrossEntropy",
            g ->
                g.single(
                    "LabelCrossEntropyGradient",
                    List.of(g.i(0), g.i(1), g.go(0)),
                    List.of(g.gi(0)))));
    regs.add(
        new GradientRegistration(
            "AveragedLoss",
            g -> g.single("AveragedLossGradient", List.of(g.i(0), g.go(0)), List.of(g.gi(0)))));
    regs.add(new GradientRegistration("Dropout", GradientMakers::dropout));
    regs.add(
        new GradientRegistration(
            "Scale", g -> g.single("Scale", List.of(g.go(0)), List.of(g.gi(0)))));
    regs.add(
        new GradientRegistration(
            "Copy", g -> g.single("Copy", List.of(g.go(0)), List.of(g.gi(0)))));
    regs.add(new GradientRegistration("Sum", GradientMakers::sum));
    regs.add(
        new GradientRegistration("Cast", GradientMaker.withoutArguments(GradientMakers::cast)));
    return regs;
  }

  /** ConvGradient: dW, db (when there is a bias) and dX unless no_gradient_to_input. */
  private static List<OperatorDef> conv(GradientContext g) {
    OperatorDef def = g.def();
    if (def.getInputCount() != 2 && def.getInputCount() != 3) {
      throw g.error("Conv has 2 or 3 inputs (X, W[, b]), found " + def.getInputCount());
    }
    boolean dX = intValue(def, "no_gradient_to_input", 0) == 0;
    String type = def.getType() + "Gradient";
    List<String> in = List.of(g.i(0), g.i(1), g.go(0));
    if (def.getInputCount() == 3) {
      return g.single(
          type, in, dX ? List.of(g.gi(1), g.gi(2), g.gi(0)) : List.of(g.gi(1), g.gi(2)));
    }
    return g.single(
        type, in, dX ? List.of(g.gi(1), g.gi(0)) : List.of(g.gi(1)), intArg("no_bias", 1));
  }

  /** MaxPoolGradient / AveragePoolGradient read X, Y and dY. */
  private static List<OperatorDef> pool(GradientContext g) {
    return g.single(
        g.def().getType() + "Gradient", List.of(g.i(0), g.o(0), g.go(0)), List.of(g.gi(0)));
  }

  /** DropoutGrad reads the mask (output 1) unless is_test. */
  private static List<OperatorDef> dropout(GradientContext g) {
    if (intValue(g.def(), "is_test", 0) != 0) {
      return g.single("DropoutGrad", List.of(g.go(0)), List.of(g.gi(0)));
    }
    return g.single("DropoutGrad", List.of(g.go(0), g.o(1)), List.of(g.gi(0)));
  }

  /** Sum passes its output gradient to every input, with no operator. */
  private static List<OperatorDef> sum(GradientContext g) {
    for (int k = 0; k < g.def().getInputCount(); k++) {
      g.setGi(k, g.go(0));
    }
    return List.of();
  }

  /** Cast back: to = from_type, from_type = to (both required as int or string). */
  private static List<OperatorDef> cast(GradientContext g) {
    int to = castType(g, "to", TensorProto.DataType.FLOAT_VALUE);
    if (argument(g.def(), "from_type") == null) {
      throw g.error(
          "argument 'from_type' of type int or string is required to get the gradient"
              + " of Cast");
    }
    int from = castType(g, "from_type", 0);
    return g.single(
        "Cast", List.of(g.go(0)), List.of(g.gi(0)), intArg("to", from), intArg("from_type", to));
  }

  private static int castType(GradientContext g, String name, int absent) {
    Argument a = argument(g.def(), name);
    if (a == null) {
      return absent;
    }
    if (a.hasS()) {
      String s = a.getS().toStringUtf8().trim().toUpperCase(Locale.ROOT);
      try {
        return TensorProto.DataType.valueOf(s).getNumber();
      } catch (IllegalArgumentException e) {
        throw g.error("argument '" + name + "' names no TensorProto.DataType: '" + s + "'");
      }
    }
    if (!a.hasI()) {
      throw g.error("argument '" + name + "' must be an int or a string");
    }
    return (int) a.getI();
  }

  private static long intValue(OperatorDef def, String name, long absent) {
    Argument a = argument(def, name);
    return a != null && a.hasI() ? a.getI() : absent;
  }

  private static Argument argument(OperatorDef def, String name) {
    for (Argument a : def.getArgList()) {
      if (a.getName().equals(name)) {
        return a;
      }
    }
    return null;
  }
}
