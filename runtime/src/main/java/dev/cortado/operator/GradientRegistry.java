package dev.cortado.operator;

import dev.cortado.CortadoException;
import dev.cortado.RegistrationException;
import dev.cortado.proto.OperatorDef;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Caffe2's gradient registry (§9.5): one {@link GradientMaker} per forward operator type, from
 * every {@link OperatorProvider#gradients()}. A type without a maker falls back on its schema's
 * {@link Gradient} kind: {@code NO_GRADIENT} gives no gradient operators, the other kinds are
 * errors. Two makers for one type are a startup error.
 */
public final class GradientRegistry {
  /** The gradient operators of one forward operator and the gradient of each of its inputs. */
  public record GradientOps(List<OperatorDef> ops, List<String> inputGradients) {
    public GradientOps {
      ops = List.copyOf(ops);
      inputGradients = java.util.Collections.unmodifiableList(new ArrayList<>(inputGradients));
    }
  }

  private record Entry(GradientMaker maker, String provider) {}

  private final Map<String, Entry> makers = new TreeMap<>();
  private final OperatorRegistry operators;

  /**
   * Collects the makers of {@code providers}; {@code operators} supplies the schemas whose gradient
   * kind answers for types without a maker (may be null).
   */
  public GradientRegistry(
      Collection<? extends OperatorProvider> providers, OperatorRegistry operators) {
    this.operators = operators;
    for (OperatorProvider provider : providers) {
      String name = provider.getClass().getName();
      Collection<GradientRegistration> regs;
      try {
        regs = provider.gradients();
      } catch (RuntimeException e) {
        throw new RegistrationException(
            "operator provider " + name + " failed to list its gradient makers: " + e, e);
      }
      for (GradientRegistration reg : regs) {
        Entry previous = makers.putIfAbsent(reg.type(), new Entry(reg.maker(), name));
        if (previous != null) {
          throw new RegistrationException(
              "the gradient of operator "
                  + reg.type()
                  + " is registered twice: by "
                  + previous.provider()
                  + " and by "
                  + name);
        }
      }
    }
  }

  /** The registry of every provider {@code loader} can see. */
  public static GradientRegistry fromServiceLoader(ClassLoader loader) {
    List<OperatorProvider> providers = new ArrayList<>();
    ServiceLoader.load(OperatorProvider.class, loader).forEach(providers::add);
    return new GradientRegistry(providers, new OperatorRegistry(providers));
  }

  /** The operator types that have a gradient maker, sorted. */
  public Set<String> types() {
    return new TreeSet<>(makers.keySet());
  }

  /** The maker registered for {@code type}, if any. */
  public Optional<GradientMaker> maker(String type) {
    Entry e = makers.get(type);
    return e == null ? Optional.empty() : Optional.of(e.maker());
  }

  /**
   * Caffe2's {@code GetGradientForOp}: the gradient operators of {@code def} given the gradient of
   * each output ({@code null} where there is none), with the forward operator's device option,
   * engine and arguments copied as the maker asks, and {@code is_gradient_op} set.
   */
  public GradientOps gradientFor(OperatorDef def, List<String> outputGradients) {
    Entry entry = makers.get(def.getType());
    if (entry == null) {
      Optional<OperatorSchema> schema =
          operators == null ? Optional.empty() : operators.schema(def.getType());
      Gradient kind = schema.map(OperatorSchema::gradient).orElse(null);
      if (kind == Gradient.NO_GRADIENT) {
        List<String> none = new ArrayList<>();
        for (int k = 0; k < def.getInputCount(); k++) {
          none.add(null);
        }
        return new GradientOps(List.of(), none);
      }
      String what = OperatorContext.describe(def, null, -1);
      if (kind == Gradient.SHOULD_NOT_DO_GRADIENT) {
        throw new CortadoException(
            what
                + " should not have a gradient, but the backward pass"
                + " reached it (one of its outputs has a gradient); put a StopGradient before it");
      }
      if (kind == Gradient.GRADIENT_NOT_IMPLEMENTED_YET) {
        throw new CortadoException(
            what + ": its gradient is not implemented (yet), in Caffe2" + " as in Cortado");
      }
      throw new CortadoException(
          "gradient maker for operator "
              + def.getType()
              + " not implemented; types with a gradient maker: "
              + types());
    }
    GradientMaker maker = entry.maker();
    GradientContext g = new GradientContext(def, outputGradients);
    List<OperatorDef> made = maker.make(g);
    List<OperatorDef> ops = new ArrayList<>();
    for (OperatorDef op : made) {
      OperatorDef.Builder b = op.toBuilder().setIsGradientOp(true);
      if (maker.copyDeviceOption() && def.hasDeviceOption()) {
        b.setDeviceOption(def.getDeviceOption());
      }
      if (maker.copyEngine() && def.hasEngine()) {
        b.setEngine(def.getEngine());
      }
      if (maker.copyArguments()) {
        b.addAllArg(def.getArgList());
      }
      ops.add(b.build());
    }
    return new GradientOps(ops, g.inputGradients());
  }
}
