package dev.cortado.net;

import dev.cortado.CortadoException;
import dev.cortado.operator.GradientContext;
import dev.cortado.operator.GradientRegistry;
import dev.cortado.proto.Argument;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Caffe2's {@code AddGradientOperators} (the Python frontend's {@code IR.GetBackwardPass}): plays
 * the forward operators to give every blob write a version, seeds each loss with {@code
 * ConstantFill(loss) -> loss_autogen_grad} (value 1.0), then walks the operators in reverse asking
 * the {@link GradientRegistry} for each one whose outputs have a gradient. A blob version read by
 * several operators whose gradient operators each produce a gradient gets one {@code Sum}; the
 * second and later producers write {@code _<name>_grad_autosplit_<n>} instead. {@code StopGradient}
 * (no gradient) ends the walk along its path.
 */
public final class BackwardPass {
  /** The forward net with the gradient operators appended, and each blob's gradient blob. */
  public record Result(NetDef net, List<OperatorDef> gradientOps, Map<String, String> gradients) {}

  private record Ssa(OperatorDef op, Map<String, Integer> in, Map<String, Integer> out) {}

  /** Who produces one gradient of one blob version: an op's output, or an existing blob. */
  private record Generator(OperatorDef.Builder op, int index, String gradient) {}

  private final GradientRegistry registry;
  private final List<Ssa> ssa = new ArrayList<>();
  private final Map<String, Integer> frontier = new HashMap<>();
  private final Map<String, Integer> gradientFrontier = new HashMap<>();
  private final Map<String, Map<Integer, List<Integer>>> inputUsages = new HashMap<>();
  private final Map<String, Map<Integer, List<Generator>>> generators = new HashMap<>();

  private BackwardPass(List<OperatorDef> forward, GradientRegistry registry) {
    this.registry = registry;
    for (OperatorDef op : forward) {
      play(op);
    }
    for (OperatorDef op : forward) {
      if (op.getType().equals("StopGradient") && !inputUsages.containsKey(op.getOutput(0))) {
        throw new CortadoException(
            "StopGradient's output '"
                + op.getOutput(0)
                + "' is read by no"
                + " later operator; give StopGradient the same input and output blob");
      }
    }
  }

  /** The net with the backward operators of {@code losses} appended (losses seeded with 1.0). */
  public static Result addGradientOperators(
      NetDef net, List<String> losses, GradientRegistry registry) {
    BackwardPass pass = new BackwardPass(net.getOpList(), registry);
    Map<String, String> gradients = new LinkedHashMap<>();
    List<OperatorDef> ops = pass.backward(losses, gradients);
    return new Result(net.toBuilder().addAllOp(ops).build(), ops, gradients);
  }

  private void play(OperatorDef op) {
    Map<String, Integer> in = new LinkedHashMap<>();
    for (String s : op.getInputList()) {
      int v = frontier.computeIfAbsent(s, k -> 0);
      in.put(s, v);
      usages(s, v).add(ssa.size());
    }
    Map<String, Integer> out = new LinkedHashMap<>();
    for (String s : op.getOutputList()) {
      int v = frontier.containsKey(s) ? frontier.get(s) + 1 : 0;
      frontier.put(s, v);
      out.put(s, v);
    }
    ssa.add(new Ssa(op, in, out));
  }

  private List<Integer> usages(String blob, int version) {
    return inputUsages
        .computeIfAbsent(blob, k -> new HashMap<>())
        .computeIfAbsent(version, k -> new ArrayList<>());
  }

  private List<Generator> generatorsOf(String blob, int version) {
    return generators
        .computeIfAbsent(blob, k -> new HashMap<>())
        .computeIfAbsent(version, k -> new ArrayList<>());
  }

  private List<OperatorDef> backward(List<String> losses, Map<String, String> gradientsOut) {
    // blob -> gradient blob; a null value means "known to have no gradient".
    Map<String, String> toGrad = new HashMap<>();
    List<OperatorDef.Builder> all = new ArrayList<>();
    for (String y : losses) {
      if (!frontier.containsKey(y)) {
        throw new CortadoException(
            "loss blob '" + y + "' is neither read nor written by any" + " operator of the net");
      }
      int v = frontier.get(y);
      gradientFrontier.put(y, v);
      usages(y, v).add(ssa.size());
    }
    for (String y : new LinkedHashSet<>(losses)) {
      OperatorDef.Builder seed =
          OperatorDef.newBuilder()
              .setType("ConstantFill")
              .addInput(y)
              .addOutput(y + "_autogen_grad")
              .setName("")
              .addArg(Argument.newBuilder().setName("value").setF(1.0f));
      all.add(seed);
      toGrad.put(y, y + "_autogen_grad");
      generatorsOf(y, frontier.get(y)).add(new Generator(seed, 0, y + "_autogen_grad"));
    }
    for (int idx = ssa.size() - 1; idx >= 0; idx--) {
      Map<String, String> fresh = gradientsFor(idx, toGrad, all);
      toGrad.putAll(fresh);
      Map<String, String> sums = accumulate(idx, all);
      toGrad.putAll(sums);
    }
    toGrad.forEach(
        (k, v) -> {
          if (v != null) {
            gradientsOut.put(k, v);
          }
        });
    List<OperatorDef> ops = new ArrayList<>();
    for (OperatorDef.Builder b : all) {
      ops.add(b.build());
    }
    return ops;
  }

  private Map<String, String> gradientsFor(
      int idx, Map<String, String> toGrad, List<OperatorDef.Builder> all) {
    Ssa s = ssa.get(idx);
    OperatorDef fwd = s.op();
    List<String> gOut = new ArrayList<>();
    boolean any = false;
    for (String o : fwd.getOutputList()) {
      String g = toGrad.get(o);
      gOut.add(g);
      any |= g != null;
    }
    Map<String, String> fresh = new HashMap<>();
    if (!any) {
      return fresh;
    }
    GradientRegistry.GradientOps made;
    try {
      made = registry.gradientFor(fwd, gOut);
    } catch (CortadoException e) {
      throw new CortadoException(
          "backward pass at operator " + idx + " (" + fwd.getType() + "): " + e.getMessage(), e);
    }
    List<String> gIn = made.inputGradients();
    List<OperatorDef.Builder> builders = new ArrayList<>();
    for (OperatorDef op : made.ops()) {
      builders.add(op.toBuilder());
    }
    recordGenerators(idx, builders, gOut, gIn);
    all.addAll(builders);
    for (int k = 0; k < fwd.getInputCount(); k++) {
      String name = fwd.getInput(k);
      String grad = gIn.get(k);
      if (grad != null || !toGrad.containsKey(name) || fwd.getOutputList().contains(name)) {
        fresh.put(name, grad);
      }
    }
    return fresh;
  }

  private void recordGenerators(
      int idx, List<OperatorDef.Builder> ops, List<String> gOut, List<String> gIn) {
    Ssa s = ssa.get(idx);
    OperatorDef fwd = s.op();
    List<String> local = new ArrayList<>();
    for (OperatorDef.Builder op : ops) {
      for (String in : op.getInputList()) {
        checkInput(in, gOut, idx, local);
      }
      local.addAll(op.getOutputList());
      for (int i = 0; i < op.getOutputCount(); i++) {
        int k = gIn.indexOf(op.getOutput(i));
        if (k >= 0) {
          String name = fwd.getInput(k);
          generatorsOf(name, s.in().get(name)).add(new Generator(op, i, gIn.get(k)));
        }
      }
    }
    for (int k = 0; k < gIn.size(); k++) {
      String g = gIn.get(k);
      if (g != null && !local.contains(g)) {
        String name = fwd.getInput(k);
        generatorsOf(name, s.in().get(name)).add(new Generator(null, 0, g));
      }
    }
    for (int k = 0; k < gIn.size(); k++) {
      if (gIn.get(k) != null) {
        String name = fwd.getInput(k);
        gradientFrontier.put(name, s.in().get(name));
      }
    }
  }

  /** The version checks of Caffe2's {@code CheckGradientOperatorInput}. */
  private void checkInput(String in, List<String> gOut, int idx, List<String> local) {
    Ssa s = ssa.get(idx);
    int k = gOut.indexOf(in);
    if (k >= 0) {
      String original = s.op().getOutput(k);
      int want = s.out().get(original);
      Integer have = gradientFrontier.get(original);
      if (have == null || have != want) {
        throw new CortadoException(
            "gradient '"
                + in
                + "' is expected to correspond to version "
                + want
                + " of '"
                + original
                + "', but the backward pass has version "
                + have
                + " (is one output blob written by two operators?)");
      }
    } else if (s.out().containsKey(in)) {
      if (!frontier.get(in).equals(s.out().get(in))) {
        throw new CortadoException(
            "the gradient of operator "
                + idx
                + " ("
                + s.op().getType()
                + ") needs output '"
                + in
                + "' at version "
                + s.out().get(in)
                + ", but a later"
                + " operator overwrote it (version "
                + frontier.get(in)
                + ")");
      }
    } else if (s.in().containsKey(in)) {
      if (!frontier.get(in).equals(s.in().get(in))) {
        throw new CortadoException(
            "the gradient of operator "
                + idx
                + " ("
                + s.op().getType()
                + ") needs input '"
                + in
                + "' at version "
                + s.in().get(in)
                + ", but a later"
                + " operator overwrote it (version "
                + frontier.get(in)
                + ")");
      }
    } else if (!local.contains(in)) {
      throw new CortadoException(
          "the gradient of operator "
              + idx
              + " ("
              + s.op().getType()
              + ") reads '"
              + in
              + "', which is neither an input or output of the operator nor made"
              + " by its other gradient operators");
    }
  }

  /** Caffe2's {@code DoGradientAccumulation}: one Sum per blob version with several gradients. */
  private Map<String, String> accumulate(int idx, List<OperatorDef.Builder> all) {
    Ssa s = ssa.get(idx);
    Map<String, String> sums = new HashMap<>();
    for (String name : new LinkedHashSet<>(s.op().getInputList())) {
      int version = s.in().get(name);
      List<Integer> usage = usages(name, version);
      if (usage.size() <= 1 || usage.get(0) != idx) {
        continue;
      }
      List<Generator> gens = generatorsOf(name, version);
      if (gens.size() < 2) {
        continue;
      }
      String base = null;
      for (Generator g : gens) {
        if (g.op() != null) {
          base = g.op().getOutput(g.index());
          break;
        }
      }
      if (base == null) {
        base = GradientContext.gradientName(name);
      }
      List<String> inputs = new ArrayList<>();
      int cnt = 0;
      boolean first = true;
      OperatorDef.Builder withDevice = null;
      for (Generator g : gens) {
        if (g.op() != null) {
          if (withDevice == null && g.op().hasDeviceOption()) {
            withDevice = g.op();
          }
          if (first) {
            first = false;
            inputs.add(g.op().getOutput(g.index()));
          } else {
            String renamed = "_" + g.op().getOutput(g.index()) + "_autosplit_" + cnt++;
            g.op().setOutput(g.index(), renamed);
            inputs.add(renamed);
          }
        } else {
          if (g.gradient().equals(base)) {
            throw new CortadoException(
                "blob '"
                    + name
                    + "': a gradient passed through unchanged"
                    + " has the name of the summed gradient '"
                    + base
                    + "'");
          }
          inputs.add(g.gradient());
        }
      }
      int at = inputs.indexOf(base);
      if (at > 0) {
        inputs.set(at, inputs.get(0));
        inputs.set(0, base);
      }
      OperatorDef.Builder sum =
          OperatorDef.newBuilder().setType("Sum").setName("").addAllInput(inputs).addOutput(base);
      if (withDevice != null) {
        sum.setDeviceOption(withDevice.getDeviceOption());
      }
      all.add(sum);
      sums.put(name, base);
    }
    return sums;
  }
}
