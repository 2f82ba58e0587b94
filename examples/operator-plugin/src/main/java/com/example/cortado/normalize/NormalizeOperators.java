package com.example.cortado.normalize;

import dev.cortado.operator.OperatorProvider;
import dev.cortado.operator.OperatorRegistration;
import java.util.Collection;
import java.util.List;

/** The plugin's entry point, listed in META-INF/services/dev.cortado.operator.OperatorProvider. */
public final class NormalizeOperators implements OperatorProvider {
  @Override
  public Collection<OperatorRegistration> operators() {
    return List.of(OperatorRegistration.cpu(NormalizeOp.SCHEMA, NormalizeOp::new));
  }
}
