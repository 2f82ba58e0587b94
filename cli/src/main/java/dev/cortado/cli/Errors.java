package dev.cortado.cli;

import dev.cortado.CortadoException;
import java.io.EOFException;
import java.io.FileNotFoundException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/** Turns an exception and its causes into the one line a user sees on stderr. */
final class Errors {
  private Errors() {}

  /**
   * The message of {@code t} followed by each cause's message that adds something, joined by ": ",
   * on one line.
   */
  static String oneLine(Throwable t) {
    StringBuilder sb = new StringBuilder(describe(t));
    Throwable seen = t;
    for (Throwable c = t.getCause(); c != null && c != seen; c = c.getCause()) {
      String m = describe(c);
      String raw = c.getMessage();
      // A cause whose text (or, for the JDK's file errors, whose path) is already said adds
      // nothing.
      if (sb.indexOf(m) < 0 && (raw == null || raw.isEmpty() || sb.indexOf(raw) < 0)) {
        sb.append(": ").append(m);
      }
      seen = c;
    }
    return sb.toString().replaceAll("\\s*\\R\\s*", " ").trim();
  }

  private static String describe(Throwable t) {
    String m = t.getMessage();
    // Our own exceptions and picocli's carry sentences; for the JDK's, the type is the cause.
    if (t instanceof CortadoException
        || t instanceof CliException
        || t instanceof picocli.CommandLine.PicocliException) {
      return m == null ? t.getClass().getSimpleName() : m;
    }
    if (t instanceof NoSuchFileException || t instanceof FileNotFoundException) {
      return "no such file: " + m;
    }
    if (t instanceof AccessDeniedException) {
      return "permission denied: " + m;
    }
    if (t instanceof FileAlreadyExistsException) {
      return "already exists: " + m;
    }
    if (t instanceof NotDirectoryException) {
      return "not a directory: " + m;
    }
    if (t instanceof EOFException) {
      return m == null ? "unexpected end of file" : m;
    }
    if (t instanceof OutOfMemoryError) {
      return "out of memory (" + m + "); raise the heap with JAVA_OPTS=-Xmx...";
    }
    String name = t.getClass().getSimpleName();
    return m == null ? name : name + ": " + m;
  }
}
