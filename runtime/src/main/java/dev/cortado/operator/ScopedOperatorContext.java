package dev.cortado.operator;

import dev.cortado.proto.OperatorDef;

/** The {@link OperatorContext} the registry hands an operator: its def and blobs in a scope. */
final class ScopedOperatorContext implements OperatorContext {
  private final OperatorDef def;
  private final BlobScope scope;
  private final String netName;
  private final int index;
  private final String engine;
  private final OperatorSchema schema;
  private final Arguments args;
  private final Blob[] inputs;
  private final Blob[] outputs;

  ScopedOperatorContext(
      OperatorDef def,
      BlobScope scope,
      String netName,
      int index,
      String engine,
      OperatorSchema schema,
      Blob[] inputs,
      Blob[] outputs) {
    this.def = def;
    this.scope = scope;
    this.netName = netName;
    this.index = index;
    this.engine = engine;
    this.schema = schema;
    this.inputs = inputs;
    this.outputs = outputs;
    this.args =
        Arguments.forOperator(def.getArgList(), OperatorContext.describe(def, netName, index));
  }

  @Override
  public OperatorDef def() {
    return def;
  }

  @Override
  public int index() {
    return index;
  }

  @Override
  public String netName() {
    return netName;
  }

  @Override
  public String engine() {
    return engine;
  }

  @Override
  public OperatorSchema schema() {
    return schema;
  }

  @Override
  public Arguments args() {
    return args;
  }

  @Override
  public int inputCount() {
    return inputs.length;
  }

  @Override
  public int outputCount() {
    return outputs.length;
  }

  @Override
  public Blob input(int i) {
    return inputs[i];
  }

  @Override
  public Blob output(int i) {
    return outputs[i];
  }

  @Override
  public Blob createBlob(String name) {
    return scope.createBlob(name);
  }

  @Override
  public String rootFolder() {
    return scope.rootFolder();
  }

  @Override
  public Services services() {
    return scope.services();
  }
}
