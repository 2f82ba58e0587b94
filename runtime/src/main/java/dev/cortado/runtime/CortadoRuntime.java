package dev.cortado.runtime;

import com.google.inject.CreationException;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Module;
import com.google.inject.ProvisionException;
import com.google.inject.spi.Message;
import com.google.inject.util.Modules;
import dev.cortado.CortadoException;
import dev.cortado.db.DbRegistry;
import dev.cortado.operator.GradientRegistry;
import dev.cortado.operator.OperatorRegistry;
import dev.cortado.operator.Services;
import dev.cortado.workspace.Workspace;
import java.nio.file.Path;
import java.util.Collection;

/**
 * The entry point of an application: collects every plugin on the class path (ServiceLoader), wires
 * them with Guice ({@link CortadoModule}, overridable by ordinary modules) and makes workspaces
 * whose operators can reach runtime services such as the {@link DbRegistry}.
 *
 * <pre>{@code
 * CortadoRuntime rt = CortadoRuntime.create();
 * try (Workspace ws = rt.newWorkspace()) {
 *   ws.runNetOnce(initNet);
 *   ws.createNet(readNet);
 *   ws.runNet("read");
 * }
 * }</pre>
 */
public final class CortadoRuntime {
  private final Injector injector;
  private final OperatorRegistry operators;
  private final DbRegistry dbs;
  private final Services services;

  private CortadoRuntime(Injector injector) {
    this.injector = injector;
    this.operators = injector.getInstance(OperatorRegistry.class);
    this.dbs = injector.getInstance(DbRegistry.class);
    this.services = new GuiceServices(injector);
  }

  /** Plugins from the context class loader; {@code overrides} replace or add bindings. */
  public static CortadoRuntime create(Module... overrides) {
    return create(CortadoModule.defaultLoader(), overrides);
  }

  /** Plugins visible through {@code loader} (for example a URLClassLoader over plugin jars). */
  public static CortadoRuntime create(ClassLoader loader, Module... overrides) {
    Module wiring = Modules.override(new CortadoModule(loader)).with(overrides);
    try {
      return new CortadoRuntime(Guice.createInjector(wiring));
    } catch (CreationException e) {
      throw unwrap(e.getErrorMessages(), e);
    } catch (ProvisionException e) {
      throw unwrap(e.getErrorMessages(), e);
    }
  }

  /**
   * Guice wraps startup errors (a duplicate db_type, a duplicate operator) in its own exceptions;
   * callers see the Cortado exception with its message instead.
   */
  private static RuntimeException unwrap(Collection<Message> messages, RuntimeException e) {
    for (Message m : messages) {
      if (m.getCause() instanceof CortadoException c) {
        return c;
      }
    }
    Throwable cause = e.getCause();
    while (cause != null) {
      if (cause instanceof CortadoException c) {
        return c;
      }
      cause = cause.getCause();
    }
    return new CortadoException("cannot start the Cortado runtime: " + e.getMessage(), e);
  }

  /** A new root workspace whose root folder is {@code "."}. The caller closes it. */
  public Workspace newWorkspace() {
    return new Workspace(operators, services);
  }

  /** A new root workspace; Save, Load and DBExists resolve relative paths against {@code root}. */
  public Workspace newWorkspace(Path root) {
    return new Workspace(operators, services, root.toString());
  }

  public OperatorRegistry operators() {
    return operators;
  }

  /** The gradient makers of every plugin (Caffe2's gradient registry). */
  public GradientRegistry gradients() {
    return injector.getInstance(GradientRegistry.class);
  }

  public DbRegistry dbs() {
    return dbs;
  }

  /** The services operators see ({@code OperatorContext.service}). */
  public Services services() {
    return services;
  }

  public Injector injector() {
    return injector;
  }
}
