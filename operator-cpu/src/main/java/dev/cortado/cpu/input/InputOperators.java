package dev.cortado.cpu.input;

import dev.cortado.operator.OperatorProvider;
import dev.cortado.operator.OperatorRegistration;
import java.util.Collection;
import java.util.List;

/**
 * Registers the CPU data-input operators ({@code TensorProtosDBInput}) through the operator SPI.
 */
public final class InputOperators implements OperatorProvider {
  @Override
  public Collection<OperatorRegistration> operators() {
    return List.of(
        OperatorRegistration.cpu(TensorProtosDbInput.schema(), TensorProtosDbInput::new));
  }
}
