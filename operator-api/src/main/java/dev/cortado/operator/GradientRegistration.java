package dev.cortado.operator;

import java.util.Objects;

/**
 * A gradient maker for one forward operator type, as Caffe2's {@code REGISTER_GRADIENT(type,
 * maker)}; a plugin returns these from {@link OperatorProvider#gradients()}.
 */
public record GradientRegistration(String type, GradientMaker maker) {
  public GradientRegistration {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(maker, "maker");
    if (type.isEmpty()) {
      throw new IllegalArgumentException("a gradient registration needs an operator type");
    }
  }
}
