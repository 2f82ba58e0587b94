package dev.cortado.cpu;

import dev.cortado.operator.Arguments;
import dev.cortado.operator.Gradient;
import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;

/**
 * Caffe2's {@code LearningRate}: a rank-0 float {@code base_lr * f(iter)} from the int64 iteration
 * counter, with the policies {@code fixed} (1), {@code step} (gamma^floor(iter / stepsize)), {@code
 * exp} (gamma^iter), {@code inv} ((1 + gamma * iter)^-power) and {@code multistep} (gamma^(number
 * of stepsizes <= iter)).
 */
final class LearningRateOp implements Operator {
  static final OperatorSchema SCHEMA =
      OperatorSchema.builder("LearningRate")
          .numInputs(1)
          .numOutputs(1)
          .requiredArg("base_lr", "the base learning rate (negative for descent with WeightedSum)")
          .requiredArg("policy", "fixed, step, exp, inv or multistep")
          .arg("stepsize", "0", "step: iterations per step (> 0)")
          .arg("stepsizes", "[]", "multistep: the iterations at which the rate is multiplied")
          .arg("gamma", "0", "step, exp, inv, multistep: the factor (> 0)")
          .arg("power", "0", "inv: the exponent (> 0)")
          .doc("Computes the learning rate of this iteration from the iteration counter.")
          .gradient(Gradient.NO_GRADIENT)
          .build();

  private enum Policy {
    FIXED,
    STEP,
    EXP,
    INV,
    MULTISTEP
  }

  private final OperatorContext ctx;
  private final float baseLr;
  private final Policy policy;
  private final long stepsize;
  private final long[] stepsizes;
  private final float gamma;
  private final float power;

  LearningRateOp(OperatorContext ctx) {
    this.ctx = ctx;
    Arguments args = ctx.args();
    this.baseLr = args.requireFloat("base_lr");
    String p = args.requireString("policy");
    this.policy =
        switch (p) {
          case "fixed" -> Policy.FIXED;
          case "step" -> Policy.STEP;
          case "exp" -> Policy.EXP;
          case "inv" -> Policy.INV;
          case "multistep" -> Policy.MULTISTEP;
          default ->
              throw args.error(
                  "policy",
                  "names an unknown learning rate policy '"
                      + p
                      + "'; known: fixed, step, exp, inv, multistep");
        };
    this.stepsize = args.getLong("stepsize", 0);
    this.stepsizes = args.getLongs("stepsizes");
    this.gamma = args.getFloat("gamma", 0f);
    this.power = args.getFloat("power", 0f);
    if (policy == Policy.STEP && stepsize <= 0) {
      throw args.error("stepsize", "must be > 0 for the step policy, found " + stepsize);
    }
    if (policy == Policy.MULTISTEP && stepsizes.length == 0) {
      throw args.error("stepsizes", "must list at least one iteration for the multistep policy");
    }
    if (policy != Policy.FIXED && !(gamma > 0)) {
      throw args.error("gamma", "must be > 0 for the " + p + " policy, found " + gamma);
    }
    if (policy == Policy.INV && !(power > 0)) {
      throw args.error("power", "must be > 0 for the inv policy, found " + power);
    }
  }

  @Override
  public void run() {
    Tensor it = ctx.input(0, Tensor.class);
    if (it.dataType() != DataType.INT64 || it.numel() != 1) {
      throw ctx.error(
          "input 0 ('"
              + ctx.inputName(0)
              + "') must be the int64 iteration counter"
              + " of one element, found "
              + it);
    }
    long iter = it.data().getLong(0);
    float rate = baseLr * factor(iter);
    Tensor out = Elements.reuseOrAllocate(ctx.output(0).get(), DataType.FLOAT, new long[0]);
    out.data().putFloat(0, rate);
    ctx.output(0).set(out);
  }

  /** The policy's multiplier, computed in float as Caffe2 does. */
  float factor(long iter) {
    return switch (policy) {
      case FIXED -> 1f;
      case STEP -> (float) Math.pow(gamma, (float) (iter / stepsize));
      case EXP -> (float) Math.pow(gamma, (float) iter);
      case INV -> (float) Math.pow(1f + gamma * (float) iter, -power);
      case MULTISTEP -> {
        int steps = 0;
        for (long s : stepsizes) {
          if (iter >= s) {
            steps++;
          }
        }
        yield (float) Math.pow(gamma, (float) steps);
      }
    };
  }
}
