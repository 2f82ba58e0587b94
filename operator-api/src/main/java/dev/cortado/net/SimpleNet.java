package dev.cortado.net;

import dev.cortado.proto.NetDef;
import dev.cortado.workspace.Workspace;

/** Caffe2's {@code simple} net: the operators in order on the caller's thread. */
final class SimpleNet extends AbstractNet {
  SimpleNet(NetDef def, Workspace workspace) {
    super(def, workspace);
  }

  @Override
  public synchronized void run() {
    checkOpen();
    for (int i = 0; i < operators.size(); i++) {
      runOperator(i);
    }
  }
}
