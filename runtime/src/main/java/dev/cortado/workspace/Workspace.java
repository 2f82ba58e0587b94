package dev.cortado.workspace;

import dev.cortado.net.Net;
import dev.cortado.net.Nets;
import dev.cortado.operator.Blob;
import dev.cortado.operator.BlobScope;
import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorRegistry;
import dev.cortado.operator.OperatorRunException;
import dev.cortado.operator.Services;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Caffe2's workspace (§10.1 of docs/caffe2-semantics.md): named {@link Blob}s and named {@link
 * Net}s, the operator registry and runtime services that nets are built with, and a root folder
 * that Save/Load resolve relative DB paths against. A child workspace ({@link #createChild}) sees
 * its parent's blobs.
 *
 * <p>Unlike Caffe2, every failure throws instead of returning false. Thread-safe: concurrent plan
 * steps share one workspace. {@link #close()} closes the nets (and so their operators) and every
 * AutoCloseable blob value, such as a DB reader.
 */
public final class Workspace implements BlobScope, AutoCloseable {
  private final Workspace parent;
  private final OperatorRegistry operators;
  private final Services services;
  private final String rootFolder;
  private final Map<String, Blob> blobs = new ConcurrentHashMap<>();
  private final Map<String, Net> nets = new LinkedHashMap<>();
  private volatile boolean closed;

  /** A root workspace whose root folder is {@code "."}. */
  public Workspace(OperatorRegistry operators, Services services) {
    this(operators, services, ".");
  }

  public Workspace(OperatorRegistry operators, Services services, String rootFolder) {
    this(null, operators, services, rootFolder);
  }

  private Workspace(
      Workspace parent, OperatorRegistry operators, Services services, String rootFolder) {
    this.parent = parent;
    this.operators = Objects.requireNonNull(operators, "operators");
    this.services = Objects.requireNonNull(services, "services");
    this.rootFolder = Objects.requireNonNull(rootFolder, "rootFolder");
  }

  /**
   * A child that sees this workspace's blobs (lookups fall through to the parent) but keeps its own
   * nets and new blobs; used by {@code ExecutionStep.create_workspace}. The caller closes it.
   */
  public Workspace createChild() {
    checkOpen();
    return new Workspace(this, operators, services, rootFolder);
  }

  /** The parent, or null for a root workspace. */
  public Workspace parent() {
    return parent;
  }

  public OperatorRegistry operators() {
    return operators;
  }

  public Services services() {
    return services;
  }

  /** The folder Save, Load and DBExists put before relative DB paths. */
  public String rootFolder() {
    return rootFolder;
  }

  // ---- blobs ----

  /** The existing blob of this name (here or in a parent), or a new empty local one. */
  public Blob createBlob(String name) {
    Blob existing = getBlob(name);
    if (existing != null) {
      return existing;
    }
    return createLocalBlob(name);
  }

  /** The local blob of this name, created if missing, even when a parent has one. */
  public Blob createLocalBlob(String name) {
    checkOpen();
    return blobs.computeIfAbsent(name, Blob::new);
  }

  public boolean hasBlob(String name) {
    return getBlob(name) != null;
  }

  /** The blob visible under this name (local first, then the parents), or null. */
  public Blob getBlob(String name) {
    Blob b = blobs.get(name);
    if (b == null && parent != null) {
      return parent.getBlob(name);
    }
    return b;
  }

  /** The blob of this name; an error listing the known names when there is none. */
  public Blob blob(String name) {
    Blob b = getBlob(name);
    if (b == null) {
      throw new WorkspaceException("no blob named '" + name + "'; blobs: " + blobNames());
    }
    return b;
  }

  /** Removes a local blob and closes an AutoCloseable value; false when there is none. */
  public boolean removeBlob(String name) {
    Blob b = blobs.remove(name);
    if (b == null) {
      return false;
    }
    b.reset();
    return true;
  }

  /** Moves a local blob's value to a new local name; the target must not exist. */
  public Blob renameBlob(String from, String to) {
    checkOpen();
    synchronized (blobs) {
      Blob old = blobs.get(from);
      if (old == null) {
        throw new WorkspaceException("cannot rename blob '" + from + "': no such local blob");
      }
      if (hasBlob(to)) {
        throw new WorkspaceException(
            "cannot rename blob '" + from + "' to '" + to + "': a blob of that name exists");
      }
      Blob moved = new Blob(to);
      moved.set(old.get());
      blobs.remove(from);
      blobs.put(to, moved);
      return moved;
    }
  }

  /** Every visible blob name (local and inherited), sorted. */
  public Set<String> blobNames() {
    Set<String> names = new TreeSet<>(blobs.keySet());
    if (parent != null) {
      names.addAll(parent.blobNames());
    }
    return names;
  }

  /** The local blob names, sorted. */
  public Set<String> localBlobNames() {
    return new TreeSet<>(blobs.keySet());
  }

  // ---- nets ----

  /** {@link #createNet(NetDef, boolean)} without overwriting. */
  public Net createNet(NetDef def) {
    return createNet(def, false);
  }

  /**
   * Builds a net and keeps it under {@code def.name}. An existing name is an error unless {@code
   * overwrite}; then the old net is closed before the new one is built (so it releases DB locks),
   * as in Caffe2.
   */
  public Net createNet(NetDef def, boolean overwrite) {
    checkOpen();
    if (def.getName().isEmpty()) {
      throw new WorkspaceException("a net needs a name to be created in a workspace");
    }
    synchronized (nets) {
      Net old = nets.get(def.getName());
      if (old != null) {
        if (!overwrite) {
          throw new WorkspaceException(
              "net '" + def.getName() + "' already exists in this workspace; pass overwrite");
        }
        nets.remove(def.getName());
        old.close();
      }
      Net net = Nets.create(def, operators, this);
      nets.put(def.getName(), net);
      return net;
    }
  }

  /** The net of this name in this workspace (parents are not searched, as in Caffe2), or null. */
  public Net getNet(String name) {
    synchronized (nets) {
      return nets.get(name);
    }
  }

  public boolean hasNet(String name) {
    return getNet(name) != null;
  }

  public Set<String> netNames() {
    synchronized (nets) {
      return new TreeSet<>(nets.keySet());
    }
  }

  /** Closes and forgets a net; false when there is none. */
  public boolean deleteNet(String name) {
    Net net;
    synchronized (nets) {
      net = nets.remove(name);
    }
    if (net == null) {
      return false;
    }
    net.close();
    return true;
  }

  /** Runs a net created earlier; an unknown name is an error listing the known nets. */
  public void runNet(String name) {
    Net net = getNet(name);
    if (net == null) {
      throw new WorkspaceException("no net named '" + name + "'; nets: " + netNames());
    }
    net.run();
  }

  /** Builds a temporary net, runs it once and closes it. */
  public void runNetOnce(NetDef def) {
    checkOpen();
    try (Net net = Nets.create(def, operators, this)) {
      net.run();
    }
  }

  /** Builds one operator, runs it once and closes it. */
  public void runOperatorOnce(OperatorDef def) {
    checkOpen();
    try (Operator op = operators.create(def, this, null, -1)) {
      try {
        op.run();
      } catch (RuntimeException e) {
        String who = OperatorContext.describe(def, null, -1);
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        throw new OperatorRunException(
            who + " failed: " + (m.startsWith(who + ": ") ? m.substring(who.length() + 2) : m), e);
      }
    }
  }

  // ---- lifecycle ----

  public boolean isClosed() {
    return closed;
  }

  /**
   * Closes every net (closing their operators) and then every AutoCloseable blob value of this
   * workspace. Idempotent. The first failure is thrown after everything was closed.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    List<RuntimeException> failures = new ArrayList<>();
    List<Net> toClose;
    synchronized (nets) {
      toClose = new ArrayList<>(nets.values());
      nets.clear();
    }
    for (Net net : toClose) {
      try {
        net.close();
      } catch (RuntimeException e) {
        failures.add(e);
      }
    }
    for (Blob b : new ArrayList<>(blobs.values())) {
      try {
        b.reset();
      } catch (RuntimeException e) {
        failures.add(e);
      }
    }
    blobs.clear();
    if (!failures.isEmpty()) {
      RuntimeException first = failures.get(0);
      for (int i = 1; i < failures.size(); i++) {
        first.addSuppressed(failures.get(i));
      }
      throw first;
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new WorkspaceException("the workspace is closed");
    }
  }
}
