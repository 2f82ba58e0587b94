package dev.cortado.cli;

import dev.cortado.db.DbException;
import dev.cortado.db.DbOutput;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;

/** The CLI's side of {@link DbOutput}: notices on stderr, and errors that say what was kept. */
final class Outputs {
  private Outputs() {}

  /** Begins an atomic output; refusals (self-overwrite, an existing output) are one line. */
  static DbOutput begin(CommandSpec spec, String out, boolean overwrite, List<Path> inputs) {
    PrintWriter err = spec.commandLine().getErr();
    String who = spec.qualifiedName();
    try {
      return DbOutput.to(Path.of(out))
          .overwrite(overwrite)
          .inputs(inputs)
          .notices(
              m -> {
                err.println(who + ": " + m);
                err.flush();
              })
          .begin();
    } catch (DbException e) {
      throw new CliException(Errors.oneLine(e), e);
    }
  }

  /**
   * Removes the partial outputs after {@code e} and returns the exception to throw, its message
   * ending with what was kept. An interrupt is returned as it is: the shutdown hook reports it.
   */
  static RuntimeException failed(RuntimeException e, List<DbOutput> outputs) {
    if (interrupted(e)) {
      return e;
    }
    List<String> notes = new ArrayList<>();
    for (DbOutput o : outputs) {
      o.close();
      notes.add(o.keptNote());
    }
    return new CliException(Errors.oneLine(e) + "; " + String.join("; ", notes), e);
  }

  static RuntimeException failed(RuntimeException e, DbOutput output) {
    return failed(e, List.of(output));
  }

  /** True when {@code t} or a cause is an interrupt of an output. */
  static boolean interrupted(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof DbOutput.Interrupted) {
        return true;
      }
    }
    return false;
  }
}
