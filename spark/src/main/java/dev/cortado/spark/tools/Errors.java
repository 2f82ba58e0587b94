package dev.cortado.spark.tools;

import dev.cortado.CortadoException;
import java.io.FileNotFoundException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;

/** Turns an exception and its causes into the one line a user sees on stderr. */
final class Errors {
  private Errors() {}

  /**
   * The message of {@code t} and of each cause that adds something, joined by ": ". A failed Spark
   * task arrives wrapped in Spark's job-abort exception; when the chain holds one of Cortado's own
   * exceptions, the line starts there, since it names the DB path and key.
   */
  static String oneLine(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof CortadoException || c instanceof ToolException) {
        t = c;
        break;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    StringBuilder sb = new StringBuilder(describe(t));
    Throwable seen = t;
    for (Throwable c = t.getCause(); c != null && c != seen; c = c.getCause()) {
      String m = describe(c);
      String raw = c.getMessage();
      if (sb.indexOf(m) < 0 && (raw == null || raw.isEmpty() || sb.indexOf(raw) < 0)) {
        sb.append(": ").append(m);
      }
      seen = c;
    }
    return sb.toString().replaceAll("\\s*\\R\\s*", " ").trim();
  }

  private static String describe(Throwable t) {
    String m = firstLines(t.getMessage());
    if (t instanceof CortadoException
        || t instanceof ToolException
        || t instanceof picocli.CommandLine.PicocliException) {
      return m == null ? t.getClass().getSimpleName() : m;
    }
    if (t instanceof IllegalArgumentException && m != null && m.startsWith("tensorprotos: ")) {
      // The connector's own refusal of a schema or an option: its message says it all.
      return m;
    }
    if (t instanceof NoSuchFileException || t instanceof FileNotFoundException) {
      return "no such file: " + m;
    }
    if (t instanceof FileAlreadyExistsException) {
      return "already exists: " + m;
    }
    if (t instanceof OutOfMemoryError) {
      return "out of memory (" + m + "); raise the heap with JAVA_OPTS=-Xmx...";
    }
    String name = t.getClass().getSimpleName();
    return m == null ? name : name + ": " + m;
  }

  /** A message without the stack traces Spark copies into its job-abort messages. */
  private static String firstLines(String m) {
    if (m == null) {
      return null;
    }
    for (String cut : new String[] {"\n\tat ", "\nDriver stacktrace:"}) {
      int i = m.indexOf(cut);
      if (i >= 0) {
        m = m.substring(0, i);
      }
    }
    return m;
  }
}
